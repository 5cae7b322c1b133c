# Stand-in base images for the workbench's registry mirror, made from what the host has
# (see hack/dev). KIND picks the stage: golang, distroless, os (a plain base such as
# debian:12-slim) or dockerfile (BuildKit's Dockerfile frontend, as docker/dockerfile).
ARG KIND=golang

FROM scratch AS golang
ARG GOLANG_VERSION
COPY --from=goroot / /usr/local/go/
COPY / /
ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    GOLANG_VERSION=${GOLANG_VERSION} GOPATH=/go GOTOOLCHAIN=local
WORKDIR /go

FROM scratch AS distroless
ARG USER=0
ARG HOME=/root
COPY / /
COPY --chown=65532:65532 home/nonroot /home/nonroot
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER ${USER}
WORKDIR ${HOME}

FROM scratch AS os
COPY / /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["/bin/sh"]

FROM scratch AS dockerfile
COPY / /
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts,moby.buildkit.frontend.gitquerystring,moby.buildkit.frontend.contexts.zstd"
ENTRYPOINT ["/bin/dockerfile-frontend"]

FROM ${KIND}
