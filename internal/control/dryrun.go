package control

import (
	"context"
	"errors"
	"reflect"
)

// Dry run, for every EC2 action (the ones whose input has DryRun): the
// action runs whole — validation, visibility, the write inside its
// transaction — and the transaction is then rolled back. The answer is
// DryRunOperation when the call would have succeeded, and the call's real
// error when not; the store is untouched either way. ELBv2 has no dry run.
//
// An action opts in with three lines at its start:
//
//	if in.DryRun {
//		return dryRun(ctx, in, a.CreateVpc)
//	}
//
// dryRun calls the action again, without DryRun and with a context that
// marks the dry run; API.write ends that context's transactions with
// errDryRunRollback instead of committing them, and the read-only paths
// that would write (the default VPC on first use) do not write.
//
// plink has no IAM policies: a caller that may not see a resource gets
// AWS's NotFound answer for it, as on AWS, so no error of plink's is an
// authorization failure and none is mapped to UnauthorizedOperation.

type dryRunKey struct{}

// errDryRunRollback rolls back a dry run's write transaction after the
// write succeeded.
var errDryRunRollback = errors.New("dry run: the write would have succeeded")

// isDryRun reports whether ctx is a dry run's.
func isDryRun(ctx context.Context) bool {
	dry, _ := ctx.Value(dryRunKey{}).(bool)
	return dry
}

// dryRunEnd is the end of a write transaction's function: err, or
// errDryRunRollback when err is nil in a dry run.
func dryRunEnd(ctx context.Context, err error) error {
	if err == nil && isDryRun(ctx) {
		return errDryRunRollback
	}
	return err
}

// errDryRun is AWS's answer to a dry run that would have succeeded.
func errDryRun() *Error {
	return Errorf(ErrCodeDryRunOperation, "Request would have succeeded, but DryRun flag is set.")
}

// dryRun runs action on a copy of in without DryRun, as a dry run, and
// returns DryRunOperation when it succeeds, or its error.
func dryRun[I, O any](ctx context.Context, in *I, action func(context.Context, *I) (*O, error)) (*O, error) {
	cp := *in
	f := reflect.ValueOf(&cp).Elem().FieldByName("DryRun")
	if !f.IsValid() || f.Kind() != reflect.Bool {
		panic("control: dryRun on " + typeName(in) + ", which has no DryRun member")
	}
	f.SetBool(false)
	_, err := action(context.WithValue(ctx, dryRunKey{}, true), &cp)
	if err == nil || errors.Is(err, errDryRunRollback) {
		return nil, errDryRun()
	}
	return nil, err
}
