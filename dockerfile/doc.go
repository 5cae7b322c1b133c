// Package dockerfile writes the nearest Dockerfile equivalent of a Goimagefile, for people
// who must leave goimage: the same builder, module download step, cache mounts, flags,
// generate steps, files and image configuration, in the shape the seed articles teach.
// What a Dockerfile cannot say (the dependency cache layer, reproducible file times) it
// leaves out, with a comment.
//
// No spec value can become a Dockerfile instruction or a shell command, whatever spec
// validation let through: Write is safe for any plan. Commands are exec-form (JSON) RUN steps,
// except a go build whose -ldflags or -gcflags refer to build args: only a shell can expand
// those, so that one step is shell-form, every value in it single-quoted and each ${NAME} a
// double-quoted word that goquote, a small sh function, quotes for the go command's own
// splitting, as goimage does (spec.JoinFlags); a build arg value the go command cannot read
// as one word fails that step, as it fails goimage's build. Values that BuildKit's lexer
// reads (WORKDIR, USER, ENV, LABEL, COPY, VOLUME, STOPSIGNAL) are single-quoted too, so it
// neither expands nor splits them (see quote.go). What cannot be written safely (a line break
// outside JSON, a secret id that is not one word of a mount option, an image reference that
// is not one, "<<" in the shell-form step) is refused, every problem at once, each named by
// its field path.
package dockerfile
