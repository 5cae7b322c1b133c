# The goimage frontend image, built the way goimage builds Go images: modules downloaded in a
# step keyed on go.mod and go.sum alone, cache mounts, a static stripped binary
# cross-compiled on the build platform, a scratch final stage, non-root.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOPATH=/go GOMODCACHE=/go/pkg/mod GOCACHE=/go/cache GOTOOLCHAIN=local
RUN --mount=type=bind,source=go.mod,target=go.mod \
    --mount=type=bind,source=go.sum,target=go.sum \
    --mount=type=cache,id=goimage-frontend-gomod,target=/go/pkg/mod \
    go mod download
ARG TARGETOS TARGETARCH
RUN --mount=type=bind,target=. \
    --mount=type=cache,id=goimage-frontend-gomod,target=/go/pkg/mod \
    --mount=type=cache,id=goimage-frontend-gocache,target=/go/cache \
    GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w -buildid=" -o /out/goimage-frontend ./cmd/goimage-frontend
# goimage-helper for the platform the frontend runs on, which is the build platform of the
# builds it serves, in the directory named by its source (hack/helper-dir): the frontend
# mounts it from this image instead of compiling it in every cold build.
RUN --mount=type=bind,target=. \
    --mount=type=cache,id=goimage-frontend-gocache,target=/go/cache \
    dir=/out$(sh hack/helper-dir) && mkdir -p "$dir" && \
    GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w -buildid=" -o "$dir/goimage-helper" ./llb/helper

# The standard library compiled ahead for TARGETPLATFORM on BUILDPLATFORM, cgo off, with
# -trimpath: a build cache (the go command's GOCACHE layout) at the image's root. Pushed as
# <frontend repository>-stdlib:<go version>-<build os>-<build arch>-<target os>-<target arch>
# (hack/dev), it is what the standard library step of a cold build reads instead of
# compiling, when its builder has the same Go version.
FROM --platform=$BUILDPLATFORM golang:1.26 AS stdlib-build
ARG TARGETOS TARGETARCH
RUN CGO_ENABLED=0 GOFLAGS= GOOS=$TARGETOS GOARCH=$TARGETARCH GOCACHE=/out \
    go build -trimpath std && \
    find /out -type f ! -name '*-a' ! -name '*-d' -delete

FROM scratch AS stdlib
COPY --from=stdlib-build /out/ /

# The Go toolchain of golang:1.26 for TARGETPLATFORM, laid out as the toolchain layer the
# frontend copies out of the builder (llb/toolchain.go: GOROOT without toolchainExcludes, which
# these -exclude flags repeat, and a /tmp), with the golang image's CA bundle for the
# download step; every file at the epoch. Pushed as <frontend repository>-toolchain:<go
# version>-<os>-<arch> (hack/dev), it is what a cold build pulls instead of the builder image,
# when its builder is the golang image of the same Go version. goimage-helper, built for
# BUILDPLATFORM, copies it: nothing of TARGETPLATFORM runs.
FROM --platform=$TARGETPLATFORM golang:1.26 AS golang-target
FROM --platform=$BUILDPLATFORM golang:1.26 AS toolchain-build
WORKDIR /src
ENV CGO_ENABLED=0 GOCACHE=/go/cache GOTOOLCHAIN=local
RUN --mount=type=bind,target=. \
    --mount=type=cache,id=goimage-frontend-gocache,target=/go/cache \
    go build -trimpath -o /usr/local/bin/goimage-helper ./llb/helper
RUN --mount=type=bind,from=golang-target,source=/usr/local/go,target=/usr/local/go \
    --mount=type=bind,from=golang-target,source=/etc/ssl/certs/ca-certificates.crt,target=/ca-certificates.crt \
    goimage-helper toolchain -o /out -epoch 1970-01-01T00:00:00Z \
      -exclude src/cmd -exclude test -exclude api -exclude doc -exclude misc \
      -exclude '**/testdata' -exclude '**/*_test.go' \
      -exclude bin/gofmt -exclude 'pkg/tool/*/vet' -exclude 'pkg/tool/*/fix' -exclude 'pkg/tool/*/cgo' \
      /usr/local/go && \
    mkdir -p /out/etc/ssl/certs && cp /ca-certificates.crt /out/etc/ssl/certs/ && \
    touch -h -d @0 /out/etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs /out/etc/ssl /out/etc /out

FROM scratch AS toolchain
COPY --from=toolchain-build /out/ /

FROM scratch
COPY --from=build /out/goimage-frontend /goimage-frontend
COPY --from=build /out/goimage /goimage
# The frontend talks to BuildKit over stdio only, and the caps tell BuildKit which gateway
# features it relies on (named contexts, subrequests, frontend inputs).
LABEL moby.buildkit.frontend.network.none="true" \
      moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts" \
      org.opencontainers.image.title="goimage frontend" \
      org.opencontainers.image.description="BuildKit frontend that turns a Goimagefile into a small, reproducible, non-root Go image"
USER 65532:65532
ENTRYPOINT ["/goimage-frontend"]
