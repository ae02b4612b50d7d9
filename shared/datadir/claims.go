package datadir

import (
	"path"
	"strconv"
	"strings"
)

// A watcher claims a file by renaming it, without ever replacing another,
// into its claim directory claimed/<id>/. Slot 0 is that directory itself;
// when a file of the same name is already claimed (names repeat upstream),
// the next free slot claimed/<id>/.N/ takes it, so the file keeps the name
// it landed under. Hidden names never come from input (the watcher ignores
// them there), so a slot cannot collide with a landed file.

// ClaimDir is the claim directory of watcher id, relative to the data dir.
func ClaimDir(id string) string { return path.Join(Claimed, id) }

// ClaimSlot is slot n of watcher id's claims, relative to the data dir.
func ClaimSlot(id string, n int) string {
	if n == 0 {
		return ClaimDir(id)
	}
	return path.Join(ClaimDir(id), "."+strconv.Itoa(n))
}

// ClaimLock is the file a running watcher holds locked for its lifetime:
// claimed/.<id>.lock. Outside the claim directory, so that an idle claim
// directory is empty; hidden, so that it cannot collide with a claim
// directory (a WATCHER_ID never starts with a dot).
func ClaimLock(id string) string { return path.Join(Claimed, "."+id+".lock") }

// IsClaimSlot reports whether name, an entry of a claim directory, is a
// slot (".N", N ≥ 1).
func IsClaimSlot(name string) bool {
	digits, ok := strings.CutPrefix(name, ".")
	if !ok || digits == "" || digits[0] == '0' {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
