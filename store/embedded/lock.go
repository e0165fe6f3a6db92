package embedded

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"civmap"
)

// lockFile takes an exclusive advisory lock (flock) on path+".lock", so that only one process
// serves a data file: a second civmap process would keep its own in-memory indexes and never see
// the first one's writes. The lock ends when the returned file is closed or the process exits.
// A held lock is an ECONFLICT error naming the file.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("embedded: lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, civmap.Errorf(civmap.ECONFLICT, "data file %s is in use by another civmap process; stop it first (or write through its HTTP API)", path)
		}
		return nil, fmt.Errorf("embedded: lock %s: %w", path, err)
	}
	return f, nil
}
