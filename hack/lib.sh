# shellcheck shell=bash
# Shared settings of the workbench scripts (hack/dev, hack/build, hack/test, hack/bench).
# Sourced, never run.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=${GOIMAGE_WORKBENCH:-/var/lib/goimage-workbench}
BIN=$STATE/bin
RUN=$STATE/run
SOCK=$RUN/buildkitd.sock
# The oldest BuildKit goimage supports (hack/dev up oldest), a daemon of its own.
OLDEST_SOCK=$RUN/buildkitd-oldest.sock
# Docker Engine (hack/dev up docker): its socket, and the network namespace it runs in.
DOCKER_SOCK=$RUN/docker.sock
DOCKER_NETNS=goimage-docker
DOCKER_NET=10.203.0 # the /30 between the host and that namespace
REGISTRY_ADDR=127.0.0.1:5000
# What image references in the mirror look like from the daemon's side.
MIRROR=localhost:5000
BUILDER_NAME=goimage
FRONTEND_IMAGE=$MIRROR/goimage/frontend

export BUILDKIT_HOST=unix://$SOCK
export PATH=$BIN:$PATH
export BUILDX_BUILDER=$BUILDER_NAME
# The end-to-end tests' oldest daemon (e2e/oldest_test.go).
export GOIMAGE_OLDEST_BUILDKIT_HOST=unix://$OLDEST_SOCK
# The end-to-end tests' Docker Engine (e2e/docker_test.go).
export GOIMAGE_DOCKER_HOST=unix://$DOCKER_SOCK

# log prints a step with the seconds since the script started, so that a log shows what took long.
log() { printf '\033[1m==> [%4ss] %s\033[0m\n' "$SECONDS" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# pid_alive FILE: the process whose pid FILE holds is running.
pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# wait_for SECONDS DESCRIPTION CMD...: retries CMD until it succeeds.
wait_for() {
	local secs=$1 what=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "$what did not come up in ${secs}s"
}
