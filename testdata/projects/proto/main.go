// Command app round-trips a Greeting through its protobuf wire form: the generated code
// exists only after the build's generate step.
package main

import (
	"fmt"
	"log"
	"time"

	greetv1 "example.com/proto/gen/greet/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func main() {
	wire, err := proto.Marshal(&greetv1.Greeting{Text: "hello", Count: 3, At: timestamppb.New(time.Unix(1700000000, 0))})
	if err != nil {
		log.Fatal(err)
	}
	var g greetv1.Greeting
	if err := proto.Unmarshal(wire, &g); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("proto: %s x%d at %d, %d bytes\n", g.GetText(), g.GetCount(), g.GetAt().GetSeconds(), len(wire))
}
