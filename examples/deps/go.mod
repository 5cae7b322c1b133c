module example.com/deps

go 1.26

require (
	github.com/google/uuid v1.6.0
	github.com/spf13/pflag v1.0.6
)
