// Package plan resolves a decoded Goimagefile into what a build of it makes: the builder
// and base images, each binary's go build command line, the test target, the image's user
// and the build args the file reads, each at its exact range in the file.
//
// It is the one place a Goimagefile's meaning is worked out. The converter (llb), the
// frontend's subrequests (targets, outline), the Dockerfile writer and hack/bench read a
// Plan; none of them derives a flag, a default or a location again, so they cannot drift
// apart.
package plan
