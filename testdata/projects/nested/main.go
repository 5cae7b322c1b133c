// Command app imports go.opentelemetry.io/otel, whose module holds other modules nested in
// its path (go.opentelemetry.io/otel/trace, .../metric), as the AWS and Google Cloud SDKs do.
package main

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
)

func main() {
	_, span := otel.Tracer("app").Start(context.Background(), "main")
	defer span.End()
	fmt.Println("nested:", trace.SpanKindServer, span.SpanContext().IsValid())
}
