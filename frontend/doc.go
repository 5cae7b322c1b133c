// Package frontend is the BuildKit gateway glue of goimage: it reads the Goimagefile and
// .dockerignore through dockerui, takes build args, platforms and named contexts, answers
// subrequests (--call targets, outline, check) from the file's plan (package plan),
// converts the plan with package llb for each target
// platform and returns the images with their configuration. Errors carry the Goimagefile
// location, so buildctl and buildx print the line at fault.
package frontend
