// Command api prints what the image gives it: version data, its time zone, the CA bundle and
// the configuration file copied in.
package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"example.com/service/internal/greet"
)

var version, revision, date string

func main() {
	conf, err := os.ReadFile("/etc/api/api.conf")
	if err != nil {
		fmt.Println("config:", err)
		os.Exit(1)
	}
	zone := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC).In(time.Local).Format("MST")
	_, caErr := os.Stat("/etc/ssl/certs/ca-certificates.crt")
	fmt.Printf("%s; version=%s revision=%s date=%s zone=%s ca=%v\n",
		greet.Line(strings.TrimPrefix(string(conf), "greeting="), "api"), version, revision, date, zone, caErr == nil)
}
