package control

import "context"

type readOnlyKey struct{}

// ReadOnly returns a context whose calls only read: a describe does not
// create the caller's default VPC on first use, as it otherwise does.
// `plink get` and `plink wait` look at the store and never change it, also
// when they act as each account in it (get -A).
func ReadOnly(ctx context.Context) context.Context {
	return context.WithValue(ctx, readOnlyKey{}, true)
}

func isReadOnly(ctx context.Context) bool {
	ro, _ := ctx.Value(readOnlyKey{}).(bool)
	return ro
}
