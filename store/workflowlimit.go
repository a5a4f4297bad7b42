package store

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Workflow concurrency (ordo.Concurrency) is a limit of LimitStore per
// workflow and key, held by the instance's run rather than by a step: its
// slot's step key is ConcurrencySlotKey, which no journal entry has, so
// the slot holds exactly while the instance's lease does.
const (
	// ConcurrencySlotKey is the step key of a workflow concurrency slot
	// and waiter.
	ConcurrencySlotKey = "$concurrency"
	// WorkflowLimitPrefix starts the reserved limit names of
	// WorkflowLimitName; no user limit's name can start with '@'.
	WorkflowLimitPrefix = "@wf."
	// workflowLimitHashLen is the length of the hex hash after the prefix.
	workflowLimitHashLen = 32
	// MaxConcurrencyKeyLen bounds a workflow concurrency key, in bytes.
	MaxConcurrencyKeyLen = 256
)

// WorkflowLimitName is the name of the limit shared by the instances of
// workflow whose concurrency key is key: WorkflowLimitPrefix and the first
// 128 bits of the SHA-256 of both, in hex. It cannot collide with a
// limit name a user declares (those hold no '@').
func WorkflowLimitName(workflow, key string) string {
	h := sha256.Sum256([]byte(workflow + "\x00" + key))
	return WorkflowLimitPrefix + hex.EncodeToString(h[:])[:workflowLimitHashLen]
}

// IsWorkflowLimitName reports whether name has WorkflowLimitName's form.
func IsWorkflowLimitName(name string) bool {
	hash, ok := strings.CutPrefix(name, WorkflowLimitPrefix)
	if !ok || len(hash) != workflowLimitHashLen {
		return false
	}
	for _, c := range hash {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
