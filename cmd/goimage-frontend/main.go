// Command goimage-frontend is the entrypoint of the goimage/frontend image: BuildKit starts
// it for a file headed `# syntax=goimage/frontend:1` and talks to it over the gateway API.
package main

import (
	"fmt"
	"os"

	"github.com/goimage/goimage/frontend"
	"github.com/moby/buildkit/frontend/gateway/grpcclient"
	"github.com/moby/buildkit/util/appcontext"
)

func main() {
	if err := grpcclient.RunFromEnvironment(appcontext.Context(), frontend.Build); err != nil {
		fmt.Fprintf(os.Stderr, "goimage-frontend: %v\n", err)
		os.Exit(1)
	}
}
