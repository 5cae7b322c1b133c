package main

import (
	"encoding/json"
	"os"
	"sort"
)

// depGraph is what deps -graph writes: the packages of the build that are not in the
// standard library, each once, by its import path (decodePackages), with the module that
// provides it and the packages outside the standard library that it imports, and those
// modules. The converter reads it (through the frontend, which solves the list step) to
// give the modules compile steps of their own.
type depGraph struct {
	Modules  []graphModule
	Packages []graphPackage
}

// graphModule is a module of the module cache at the version the build selected.
type graphModule struct {
	Path      string
	Version   string
	GoVersion string       `json:",omitempty"`
	Replace   *graphModule `json:",omitempty"` // a module version, never a directory
}

// graphPackage is a package of the build. Module is empty for a local package: one of the
// main module, or of a module replaced by a directory.
type graphPackage struct {
	ImportPath string
	Module     string   `json:",omitempty"`
	Imports    []string `json:",omitempty"`
}

// writeGraph writes the dependency graph of pkgs (go list -deps output) to file.
func writeGraph(file string, pkgs []listedPackage) error {
	standard := map[string]bool{}
	for _, p := range pkgs {
		if p.Standard {
			standard[p.ImportPath] = true
		}
	}
	var g depGraph
	mods := map[string]bool{}
	for _, p := range pkgs {
		if p.Standard || p.Module == nil {
			continue // a package go list could not find has no module: what imports it compiles last
		}
		gp := graphPackage{ImportPath: p.ImportPath}
		for _, imp := range p.Imports {
			if !standard[imp] && imp != "C" {
				gp.Imports = append(gp.Imports, imp)
			}
		}
		if !p.local() {
			m := p.Module
			gp.Module = m.Path
			if !mods[m.Path] {
				mods[m.Path] = true
				gm := graphModule{Path: m.Path, Version: m.Version, GoVersion: m.GoVersion}
				if r := m.Replace; r != nil {
					gm.Replace = &graphModule{Path: r.Path, Version: r.Version, GoVersion: r.GoVersion}
				}
				g.Modules = append(g.Modules, gm)
			}
		}
		g.Packages = append(g.Packages, gp)
	}
	sort.Slice(g.Modules, func(i, j int) bool { return g.Modules[i].Path < g.Modules[j].Path })
	sort.Slice(g.Packages, func(i, j int) bool { return g.Packages[i].ImportPath < g.Packages[j].ImportPath })
	data, err := json.MarshalIndent(g, "", "\t")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(data, '\n'), 0o644)
}
