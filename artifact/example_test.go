package artifact_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ordohq/ordo/artifact"
)

func ExampleFS() {
	dir, err := os.MkdirTemp("", "artifacts")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	store, err := artifact.NewFS(dir)
	if err != nil {
		panic(err)
	}
	defer store.Close()

	ctx := context.Background()
	inf, err := store.Put(ctx, "orders/ord-1/item-0.obj", strings.NewReader("v 0 0 0\n"))
	if err != nil {
		panic(err)
	}
	fmt.Println(inf.Name, inf.Size, inf.ContentType, inf.SHA256[:12])

	rc, _, err := store.Open(ctx, "orders/ord-1/item-0.obj")
	if err != nil {
		panic(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	fmt.Printf("%q\n", b)
	// Output:
	// orders/ord-1/item-0.obj 8 model/obj b49022de9ec4
	// "v 0 0 0\n"
}
