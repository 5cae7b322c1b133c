// Package dockerfile writes the nearest Dockerfile equivalent of a Goimagefile, for people
// who must leave goimage: the same builder, module download step, cache mounts, flags,
// generate steps, files and image configuration, in the shape the seed articles teach.
// What a Dockerfile cannot say (the dependency cache layer, reproducible file times) it
// leaves out, with a comment.
package dockerfile
