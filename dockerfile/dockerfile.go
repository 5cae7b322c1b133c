package dockerfile

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	goimagellb "github.com/goimage/goimage/llb"
	"github.com/goimage/goimage/spec"
)

// bareDollar is a $ that does not start a ${NAME} build arg reference.
var bareDollar = regexp.MustCompile(`\$([^{]|$)`)

// Write returns the Dockerfile for s.
func Write(s *spec.Spec) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	mod := path.Join("/src", s.Dir)
	w("# Written by `goimage dockerfile` from a Goimagefile. goimage's dependency cache layer\n")
	w("# and file times from SOURCE_DATE_EPOCH have no Dockerfile equivalent.\n")
	w("FROM --platform=$BUILDPLATFORM %s AS build\n", s.BuilderImage())
	w("WORKDIR %s\n", mod)
	env := map[string]string{"CGO_ENABLED": "0", "GOTOOLCHAIN": "local"}
	if s.CGO {
		env["CGO_ENABLED"] = "1"
	}
	for k, v := range s.Env {
		env[k] = v
	}
	flags := strings.Fields(s.GoFlags)
	if s.Vendor {
		flags = append(flags, "-mod=vendor")
	}
	if len(flags) > 0 {
		env["GOFLAGS"] = strings.Join(flags, " ")
	}
	w("ENV %s\n", envLine(env))

	cacheMod := "--mount=type=cache,target=/go/pkg/mod"
	cacheBuild := cacheMod + " --mount=type=cache,target=/root/.cache/go-build"
	if s.Vendor {
		w("COPY . /src/\n")
	} else {
		dl := map[string]string{}
		for k, v := range map[string]string{"GOPROXY": s.GoProxy, "GOPRIVATE": s.GoPrivate, "GONOSUMDB": s.GoNoSumDB, "GOINSECURE": s.GoInsecure} {
			if v != "" {
				dl[k] = v
			}
		}
		secret := ""
		if s.Private.Netrc != "" {
			secret += fmt.Sprintf(" --mount=type=secret,id=%s,target=/root/.netrc", s.Private.Netrc)
		}
		if s.Private.SSH {
			secret += " --mount=type=ssh"
		}
		w("COPY %s %s/\n", strings.Join(moduleFiles(s.Dir), " "), mod)
		w("RUN %s%s %sgo mod download\n", cacheMod, secret, envPrefix(dl))
		w("COPY . /src/\n")
	}
	for _, g := range s.Generate {
		if len(g.Install) > 0 {
			w("RUN %s GOBIN=/usr/local/bin go install %s\n", cacheBuild, strings.Join(g.Install, " "))
		}
		w("RUN %s %s\n", cacheBuild, execForm(g.Run))
	}
	var args []string
	for _, bin := range s.Binaries {
		for _, f := range append(slices.Clone(bin.Ldflags), bin.Gcflags...) {
			for _, name := range spec.ArgRefs(f) {
				if !slices.Contains(args, name) {
					args = append(args, name)
				}
			}
		}
	}
	w("ARG TARGETOS TARGETARCH")
	for _, a := range args {
		w(" %s", a)
	}
	w("\n")
	for _, bin := range s.Binaries {
		w("RUN %s GOOS=$TARGETOS GOARCH=$TARGETARCH go build %s\n", cacheBuild, strings.Join(buildArgs(s, bin), " "))
	}

	base := goimagellb.BaseImage(s)
	if base == "" {
		base = "scratch"
	}
	w("\nFROM %s\n", base)
	if s.CACerts {
		w("COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n")
	}
	for _, f := range s.Files {
		w("COPY --chown=0:0 %s %s\n", path.Clean(f.Src), f.Dst)
	}
	for _, bin := range s.Binaries {
		w("COPY --from=build --chown=0:0 --chmod=0755 /out/%s /%s\n", bin.Name, bin.Name)
	}
	img := s.Image
	if len(img.Env) > 0 {
		w("ENV %s\n", envLine(img.Env))
	}
	for _, k := range spec.SortedKeys(img.Labels) {
		w("LABEL %s=%s\n", quote(k), quote(img.Labels[k]))
	}
	for _, p := range img.Expose {
		w("EXPOSE %s\n", p)
	}
	if len(img.Volumes) > 0 {
		w("VOLUME %s\n", jsonList(img.Volumes))
	}
	if img.StopSignal != "" {
		w("STOPSIGNAL %s\n", img.StopSignal)
	}
	if img.Workdir != "" {
		w("WORKDIR %s\n", img.Workdir)
	}
	user := img.User
	switch user {
	case spec.UserNonroot:
		user = "65532:65532"
	case spec.UserRoot:
		user = "0:0"
	}
	w("USER %s\n", user)
	if img.Entrypoint != nil {
		w("ENTRYPOINT %s\n", jsonList(img.Entrypoint))
	}
	if img.Cmd != nil {
		w("CMD %s\n", jsonList(img.Cmd))
	}
	return b.String()
}

// buildArgs is the go build command line of a binary, as goimage runs it.
func buildArgs(s *spec.Spec, bin spec.Binary) []string {
	ldflags := []string{"-s", "-w", "-buildid="}
	for _, f := range bin.Ldflags {
		ldflags = append(ldflags, strings.Fields(f)...)
	}
	args := []string{"-trimpath", "-buildvcs=false", "-ldflags=" + quote(strings.Join(ldflags, " "))}
	tags := slices.Clone(bin.Tags)
	if s.TZData && !slices.Contains(tags, "timetzdata") {
		tags = append(tags, "timetzdata")
	}
	if len(tags) > 0 {
		args = append(args, "-tags="+strings.Join(tags, ","))
	}
	for _, g := range bin.Gcflags {
		args = append(args, "-gcflags="+quote(g))
	}
	args = append(args, bin.Flags...)
	main := path.Clean(bin.Main)
	if main != "." {
		main = "./" + main
	}
	return append(args, "-o", "/out/"+bin.Name, main)
}

func moduleFiles(dir string) []string {
	var files []string
	for _, f := range []string{"go.mod", "go.sum*", "go.work*"} {
		files = append(files, path.Join(dir, f))
	}
	return files
}

// envLine writes KEY=value pairs, sorted, each value quoted.
func envLine(env map[string]string) string {
	var parts []string
	for _, k := range spec.SortedKeys(env) {
		parts = append(parts, k+"="+quote(env[k]))
	}
	return strings.Join(parts, " ")
}

func envPrefix(env map[string]string) string {
	if len(env) == 0 {
		return ""
	}
	return envLine(env) + " "
}

// quote makes a value one shell word: double-quoted, with the characters the shell expands
// inside double quotes escaped, except ${NAME} build arg references.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`")
	s = r.Replace(s)
	s = bareDollar.ReplaceAllString(s, `\$$$1`)
	return `"` + s + `"`
}

func execForm(argv []string) string { return jsonList(argv) }

func jsonList(l []string) string {
	data, _ := json.Marshal(l) // a list of strings always marshals
	return string(data)
}
