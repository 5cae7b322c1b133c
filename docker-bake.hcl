# docker buildx bake: the frontend image, the examples and the stand-in projects' tests, on
# any builder (the workbench's: eval "$(hack/dev env)"; docker buildx bake).

# Where the frontend image goes with `docker buildx bake frontend --push`: one reference or
# several, comma-separated (the release workflow pushes goimage/frontend:1 and the version).
variable "FRONTEND_IMAGE" {
  default = "localhost:5000/goimage/frontend:bake"
}

group "default" {
  targets = ["examples", "tests"]
}

# The frontend image, for both platforms: its Dockerfile cross-compiles on the build platform.
# Its layers are zstd, which BuildKit unpacks faster than gzip, and every fresh builder (a CI
# runner) unpacks the frontend image before the build starts: its binary layer in 0.05-0.07 s
# against gzip's 0.12-0.15 s.
target "frontend" {
  context    = "."
  dockerfile = "Dockerfile"
  platforms  = ["linux/amd64", "linux/arm64"]
  tags       = [for t in split(",", FRONTEND_IMAGE) : trimspace(t)]
  output     = ["type=image,compression=zstd,force-compression=true,oci-mediatypes=true"]
}

# Where the standard library images go, and the Go version they are compiled with: the
# golang image's GOLANG_VERSION, the version the frontend image is built with (the release
# reads it from the image). The frontend looks them up as
# <its repository>-stdlib:<go version>-<build os>-<build arch>-<target os>-<target arch>.
variable "STDLIB_IMAGE" {
  default = "localhost:5000/goimage/frontend-stdlib"
}
variable "GO_VERSION" {
  default = ""
}
# The architecture of the builder the images are compiled on, which their tag names: a
# frontend looks up the images compiled on the platform it runs on, so the release bakes the
# target on an amd64 and on an arm64 runner.
variable "BUILD_ARCH" {
  default = "amd64"
}

# The standard library images for the targets the frontend looks them up for, compiled on
# the builder's platform, linux/BUILD_ARCH.
target "stdlib" {
  name       = "stdlib-${arch}"
  matrix     = { arch = ["amd64", "arm64"] }
  context    = "."
  dockerfile = "Dockerfile"
  target     = "stdlib"
  platforms  = ["linux/${arch}"]
  tags       = ["${STDLIB_IMAGE}:${GO_VERSION}-linux-${BUILD_ARCH}-linux-${arch}"]
  output     = ["type=image,compression=zstd,force-compression=true,oci-mediatypes=true"]
}

# Where the toolchain images go. The frontend looks them up as
# <its repository>-toolchain:<go version>-<build os>-<build arch>: the golang image's GOROOT,
# laid out as the toolchain layer it would copy out of the builder, and its CA bundle, which
# a cold build pulls instead of the whole builder image.
variable "TOOLCHAIN_IMAGE" {
  default = "localhost:5000/goimage/frontend-toolchain"
}

# The toolchain images for the build platforms the frontend runs on. The Dockerfile copies
# them on the builder's platform, so one builder makes both.
target "toolchain" {
  name       = "toolchain-${arch}"
  matrix     = { arch = ["amd64", "arm64"] }
  context    = "."
  dockerfile = "Dockerfile"
  target     = "toolchain"
  platforms  = ["linux/${arch}"]
  tags       = ["${TOOLCHAIN_IMAGE}:${GO_VERSION}-linux-${arch}"]
  output     = ["type=image,compression=zstd,force-compression=true,oci-mediatypes=true"]
}

# Every example, built from its Goimagefile through the `# syntax=` line.
target "examples" {
  name       = "example-${ex}"
  matrix     = { ex = ["hello", "deps", "multi"] }
  context    = "examples/${ex}"
  dockerfile = "Goimagefile"
  args       = { VERSION = "bake" }
  # multi's Goimagefile names its platforms; the others build for the builder's.
  platforms = ex == "multi" ? ["linux/amd64", "linux/arm64"] : null
}

# The test target of the stand-in projects: go test in the graph, failing the bake on a
# failing test.
target "tests" {
  name       = "test-${project}"
  matrix     = { project = ["service", "vendored", "generate"] }
  context    = "testdata/projects/${project}"
  dockerfile = "Goimagefile"
  target     = "test"
}
