package vem

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDeprecatedAliases: every renamed name keeps its old meaning.
func TestDeprecatedAliases(t *testing.T) {
	assert.Equal(t, BackupTaskSessionFieldCreationTime, TaskSessionFieldCreationTime)
	assert.Equal(t, BackupJobSessionFieldJobName, JobSessionFieldJobName)
	for _, s := range []TaskState{TaskStateRunning, TaskStateOperationFinished, TaskStateFinished, "Other"} {
		assert.Equal(t, s.Ended(), s.Done(), s)
		assert.Equal(t, s == TaskStateFinished, s.Finished(), s)
		assert.Equal(t, s == TaskStateFinished, s.Collected(), s)
	}
	assert.True(t, TaskStateOperationFinished.Ended())
	for _, s := range []State{StateStarting, StateWorking, StateCompleted, StateStopped} {
		assert.Equal(t, s.Ended(), s.Finished(), s)
	}
	var e error = &WatchOptionsError{Option: "Lag", Problem: "negative"}
	var ie *InvalidWatchOptionsError
	require.ErrorAs(t, e, &ie)
}

// TestRetryPoliciesAreNotGlobalState: the policies are values; changing
// the deprecated variables changes no client, and WithRetry(NoRetry) turns
// retries off whatever was done to NoRetry's fields.
func TestRetryPoliciesAreNotGlobalState(t *testing.T) {
	d := DefaultRetry()
	d.MaxAttempts = 99
	assert.Equal(t, 4, DefaultRetry().MaxAttempts)
	assert.Equal(t, 1, NoRetries().MaxAttempts)

	savedDefault, savedNo := DefaultRetryPolicy, NoRetry
	t.Cleanup(func() { DefaultRetryPolicy, NoRetry = savedDefault, savedNo })
	DefaultRetryPolicy.MaxAttempts = 50
	NoRetry.MaxAttempts = 7

	c, err := New(testBase, WithCredentials(testUser, testPass))
	require.NoError(t, err)
	assert.Equal(t, DefaultRetry(), c.cfg.retry, "New does not read DefaultRetryPolicy")
	c.Close()

	c, err = New(testBase, WithCredentials(testUser, testPass), WithRetry(NoRetry))
	require.NoError(t, err)
	assert.Equal(t, NoRetries(), c.cfg.retry, "WithRetry(NoRetry) is one attempt")
	c.Close()
}
