package awsmodel

import (
	"errors"
	"testing"
)

// loadOrSkip loads ec2, elbv2 and sts, skipping the test when the models
// are not installed (CI installs them: .ci/run installs python3-botocore).
func loadOrSkip(t *testing.T) Models {
	t.Helper()
	ms, err := LoadAll(DataDir(), "ec2", "elbv2", "sts")
	if errors.Is(err, ErrNotInstalled) {
		t.Skipf("AWS service models not installed under %s (apt-get install python3-botocore): %v", DataDir(), err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return ms
}
