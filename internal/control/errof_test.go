package control_test

// errOf drops an action's output, for tests that only look at the error.
func errOf[T any](_ *T, err error) error { return err }

func ptr[T any](v T) *T { return &v }
