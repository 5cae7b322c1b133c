module example.com/app

go 1.26

require example.com/lib v0.0.0

// go mod download (the download step) loads the whole module graph, so a requirement
// between workspace modules must resolve outside the workspace too.
replace example.com/lib => ../lib
