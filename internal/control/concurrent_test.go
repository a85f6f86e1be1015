package control_test

import (
	"sync"
	"testing"

	"github.com/plink-dev/plink/internal/control"
)

// TestConcurrentDuplicateCreate: callers racing to create the same
// security group get one success and AWS's duplicate error for the rest,
// on either backend (the check and the insert are one transaction, and
// the store makes writers take turns): never a database error.
func TestConcurrentDuplicateCreate(t *testing.T) {
	e := cpNewEnv(t)
	vpc := e.defaultVPC(e.provider).VpcID
	const callers = 8
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.provider.CreateSecurityGroup(e.ctx, &control.CreateSecurityGroupInput{GroupName: "race", Description: "d", VpcID: vpc})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		cpCode(t, err, control.ErrCodeInvalidGroupDuplicate)
	}
	if ok != 1 {
		t.Errorf("%d of %d racing creates succeeded, want 1", ok, callers)
	}
}
