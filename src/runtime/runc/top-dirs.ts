// Spreading the node's per-pod directories over the filesystem: the parents of the directories
// made per sandbox and container (`sandboxes/`, `containers/`, `pods/`, the runc/crun root) get
// ext4's "top of directory hierarchy" attribute (`chattr +T`), so the Orlov allocator places
// each new subdirectory — and the files made in it (records, /etc files, namespace files,
// conmon's pid files and FIFOs, the runtime's state, the overlay's upper and work dirs) — in a
// block group of its own choosing, as it does for the directories under `/home`, instead of the
// parent's group.
//
// Why: on ext4 without a journal the inode allocator skips every free inode deleted in the last
// 5 s (300 s while its inode table block is dirty), one buffer-cache lookup each
// (`find_inode_bit` → `recently_deleted`), starting from the beginning of the group each time. In
// a group where many files were deleted recently (pods just removed, or anything else churning
// beside the data dir, e.g. in /tmp), creating one file costs ~1 ms of CPU: measured on this VM
// 0.8–1.5 ms per file beside such churn against 0.05 ms under a +T parent, and ~40 % of skiff's
// CPU per pod in bench:pods (about 40 files per pod). With a journal the check does not exist
// and the attribute only changes where directories go.
//
// Best effort: the attribute is ext2/3/4's; on other filesystems (xfs, btrfs, tmpfs) `chattr`
// fails and nothing changes but the cost of one failed program start. Its failure is reported to
// the caller's log, never thrown.
import type { Run } from './exec-file.js';

/** Sets the top-of-hierarchy attribute on `dirs` (one `chattr`); resolves the failure's text, or undefined. */
export async function markTopDirs(dirs: readonly string[], run: Run): Promise<string | undefined> {
  if (!dirs.length) return undefined;
  try {
    await run('chattr', ['+T', ...dirs], { timeoutMs: 10_000 });
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
