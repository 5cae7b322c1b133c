// Command cgo calls a C function and the C library.
package main

/*
#include <stdlib.h>
#include <string.h>

static int add(int a, int b) { return a + b; }
static size_t length(const char *s) { return strlen(s); }
*/
import "C"

import (
	"fmt"
	"unsafe"
)

func main() {
	s := C.CString("goimage")
	defer C.free(unsafe.Pointer(s))
	fmt.Printf("cgo: 2+3=%d, strlen=%d\n", C.add(2, 3), C.length(s))
}
