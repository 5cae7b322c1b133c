package bench

import (
	"fmt"
	"path"
	"strings"

	"github.com/goimage/goimage/plan"
)

// The variants a project is built with.
const (
	Goimage = "goimage"
	Naive   = "naive"   // COPY . . then go build
	Seed000 = "seed000" // go.mod and go.sum first, a layered go mod download, -trimpath -s -w
	Seed004 = "seed004" // the same with cache mounts for the module and build caches
	Host    = "host"    // go build -trimpath on the host with fresh caches: the floor
	// DockerInit is the Dockerfile `docker init` writes for Go, as its published template
	// has it: go mod download on bind mounts with a module cache mount, then go build on a
	// bind mount of the context with the module cache mount alone (no build cache mount).
	DockerInit = "dockerinit"
	// Ko is ko (hack/tools/ko) on the host, pushing to the workbench registry.
	Ko = "ko"
)

// AllVariants in report order.
var AllVariants = []string{Goimage, Naive, Seed000, Seed004, Host, DockerInit, Ko}

// dockerfile is the Dockerfile of a variant for a spec: the practices of the seed articles,
// written as a careful user would for this project (cross-compiling with $BUILDPLATFORM, so
// that a second platform never needs emulation, and the same base and user as goimage).
func dockerfile(variant string, p *plan.Plan) string {
	s := p.Spec
	var b strings.Builder
	fmt.Fprintf(&b, "FROM --platform=$BUILDPLATFORM %s AS build\nWORKDIR /src\n", p.Builder.Ref)
	mod := modulePrefix(s.Dir)
	cacheMod, cacheBuild := "", ""
	if variant == Seed004 {
		cacheMod = "--mount=type=cache,target=/go/pkg/mod "
		cacheBuild = cacheMod + "--mount=type=cache,target=/root/.cache/go-build "
	}
	if variant != Naive {
		fmt.Fprintf(&b, "COPY %sgo.mod %sgo.sum* %s\n", mod, mod, path.Join("/src", s.Dir)+"/")
		fmt.Fprintf(&b, "RUN %scd %s && go mod download\n", cacheMod, path.Join("/src", s.Dir))
	}
	b.WriteString("COPY . .\nARG TARGETOS TARGETARCH\n")
	flags := "-trimpath -ldflags=\"-s -w\" "
	if variant == Naive {
		flags = ""
	}
	for _, bin := range p.Binaries {
		tags := tagsFlag(bin.Tags)
		fmt.Fprintf(&b, "RUN %scd %s && CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build %s%s-o /out/%s %s\n",
			cacheBuild, path.Join("/src", s.Dir), flags, tags, bin.Name, bin.Package)
	}
	if ref := p.Base.Ref; ref != "" {
		fmt.Fprintf(&b, "\nFROM %s\n", ref)
	} else {
		b.WriteString("\nFROM scratch\n")
	}
	fmt.Fprintf(&b, "COPY --from=build /out/ /\nUSER %s\n", p.User)
	fmt.Fprintf(&b, "ENTRYPOINT [%q]\n", "/"+p.Binaries[0].Name)
	return b.String()
}

// dockerInitDockerfile is the build stage of `docker init`'s Go template for the spec's
// binaries (one go build each, where the template builds its one /bin/server), with its
// comments left out. Its final stage is the template's only where the workbench can build
// it: the template's alpine stage runs `apk --update add ca-certificates tzdata` and
// adduser, which need Alpine's package repositories, which the workbench does not reach; the
// other variants' base and user stand in, as for them.
// A module with no go.sum (no dependencies) gets no go.sum bind mount, which would fail.
func dockerInitDockerfile(p *plan.Plan, hasGoSum bool) string {
	s := p.Spec
	dir := path.Join("/src", s.Dir)
	var b strings.Builder
	// The template's syntax line: the daemon runs the Dockerfile frontend image (the
	// workbench's is built from the daemon's BuildKit), as goimage's runs through its own.
	b.WriteString("# syntax=docker/dockerfile:1\n")
	fmt.Fprintf(&b, "FROM --platform=$BUILDPLATFORM %s AS build\nWORKDIR /src\n", p.Builder.Ref)
	mod := modulePrefix(s.Dir)
	b.WriteString("RUN --mount=type=cache,target=/go/pkg/mod/ \\\n")
	if hasGoSum {
		fmt.Fprintf(&b, "    --mount=type=bind,source=%sgo.sum,target=%s/go.sum \\\n", mod, dir)
	}
	fmt.Fprintf(&b, "    --mount=type=bind,source=%sgo.mod,target=%s/go.mod \\\n"+
		"    cd %s && go mod download -x\n", mod, dir, dir)
	b.WriteString("ARG TARGETARCH\n")
	for _, bin := range p.Binaries {
		tags := tagsFlag(bin.Tags)
		fmt.Fprintf(&b, "RUN --mount=type=cache,target=/go/pkg/mod/ \\\n    --mount=type=bind,target=. \\\n"+
			"    cd %s && CGO_ENABLED=0 GOARCH=$TARGETARCH go build %s-o /bin/%s %s\n", dir, tags, bin.Name, bin.Package)
	}
	if ref := p.Base.Ref; ref != "" {
		fmt.Fprintf(&b, "\nFROM %s AS final\n", ref)
	} else {
		b.WriteString("\nFROM scratch AS final\n")
	}
	fmt.Fprintf(&b, "USER %s\n", p.User)
	for _, bin := range p.Binaries {
		fmt.Fprintf(&b, "COPY --from=build /bin/%s /bin/\n", bin.Name)
	}
	fmt.Fprintf(&b, "ENTRYPOINT [ %q ]\n", "/bin/"+p.Binaries[0].Name)
	return b.String()
}

// modulePrefix is the context path of the module directory, "" or "DIR/", to which a file
// name is appended.
func modulePrefix(dir string) string {
	if dir == "." {
		return ""
	}
	return dir + "/"
}

// tagsFlag is go build's -tags flag and a space, "" for no tags.
func tagsFlag(tags []string) string {
	if len(tags) == 0 {
		return ""
	}
	return "-tags " + strings.Join(tags, ",") + " "
}
