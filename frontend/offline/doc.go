// Package offline is a BuildKit gateway (client.Client) that answers from local files and
// image configurations it is given, without a daemon: the frontend's Build runs on it as on
// buildkitd, and Solved returns every definition it would have sent. `goimage llb` prints
// the frontend's graph this way, so the CLI and the frontend cannot drift; the frontend's
// unit tests build on it the same way.
package offline
