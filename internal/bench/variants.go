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
)

// AllVariants in report order.
var AllVariants = []string{Goimage, Naive, Seed000, Seed004, Host}

// dockerfile is the Dockerfile of a variant for a spec: the practices of the seed articles,
// written as a careful user would for this project (cross-compiling with $BUILDPLATFORM, so
// that a second platform never needs emulation, and the same base and user as goimage).
func dockerfile(variant string, p *plan.Plan) string {
	s := p.Spec
	var b strings.Builder
	fmt.Fprintf(&b, "FROM --platform=$BUILDPLATFORM %s AS build\nWORKDIR /src\n", p.Builder.Ref)
	mod := ""
	if s.Dir != "." {
		mod = s.Dir + "/"
	}
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
		tags := ""
		if len(bin.Tags) > 0 {
			tags = "-tags " + strings.Join(bin.Tags, ",") + " "
		}
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
