/*
 * binfmt_misc: letting the kernel hand every x86_64 program to qemu-lorelei,
 * as FEX-Emu and Box64 do, so a game's launch script and the programs a game
 * starts run under QEMU too.
 *
 * The registration (one line written to binfmt_misc's "register" file):
 *
 *   :qemu-lorelei-x86_64:M::MAGIC:MASK:INTERPRETER:P
 *
 * MAGIC/MASK match the first 20 bytes of a 64-bit little-endian x86_64 ELF
 * executable or shared object (e_type 2 or 3), as QEMU's own
 * qemu-binfmt-conf.sh does. INTERPRETER is qemu-lorelei-binfmt, a link to
 * qemu-lorelei that main() recognizes by its name; the kernel runs it as
 *
 *   qemu-lorelei-binfmt PATH ARGV0 ARG...
 *
 * Flags, and why:
 *   P (preserve argv0): the program's own argv[0] reaches the entry, which
 *     hands it to QEMU (-0), so programs that look at argv[0] behave.
 *   not O (open binary: the kernel passes an fd instead of needing a readable
 *     path): the launcher must read the file anyway (profile by sha256,
 *     pre-flight check), and QEMU gets a path.
 *   not C (credentials from the binary): a set-user-id x86_64 program would
 *     run the launcher with raised privileges while it reads the caller's
 *     environment (LORELEI_QEMU, XDG folders): a privilege escalation.
 *   not F (fix binary: the interpreter is opened at registration): it would
 *     pin one build of the launcher until re-registered; the launcher's own
 *     libraries are found at exec time anyway.
 */
#pragma once

#include <glib.h>

#define LO_BINFMT_NAME        "qemu-lorelei-x86_64"
#define LO_BINFMT_ENTRY       "qemu-lorelei-binfmt"
#define LO_BINFMT_DEFAULT_DIR "/proc/sys/fs/binfmt_misc"
#define LO_BINFMT_FLAGS       "P"
#define LO_BINFMT_MAX_ENTRY   4096 /* bytes of one /proc entry file read */

/* The binfmt_misc folder: $LORELEI_BINFMT_DIR (tests use a fake one), else
 * /proc/sys/fs/binfmt_misc. */
const char *lo_binfmt_dir(void);

/* The registration line for interpreter (no newline), or NULL when the path
 * cannot be registered (':' or a control character, too long). */
char *lo_binfmt_registration(const char *interpreter, GError **error);

/* One handler as /proc/sys/fs/binfmt_misc/NAME describes it. */
typedef struct {
    gboolean enabled;
    char *interpreter;
    char *flags;
    guint offset;
    GByteArray *magic; /* NULL for an extension handler */
    GByteArray *mask;  /* NULL: all bits */
} LoBinfmtEntry;

void lo_binfmt_entry_clear(LoBinfmtEntry *e);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(LoBinfmtEntry, lo_binfmt_entry_clear)

/* Parses an entry file's text (what the kernel writes; fuzzed). */
gboolean lo_binfmt_parse_entry(const char *text, gsize length, LoBinfmtEntry *out, GError **error);

/* Whether the handler would take a 64-bit x86_64 ELF program. */
gboolean lo_binfmt_entry_takes_x86_64(const LoBinfmtEntry *e);

/* Reads DIR/NAME; FALSE (LO_EXIT_NOT_FOUND) when not registered. */
gboolean lo_binfmt_read_entry(const char *name, LoBinfmtEntry *out, GError **error);

/* Whether binfmt_misc is enabled and our handler registered and enabled. */
gboolean lo_binfmt_active(void);

/* The qemu-lorelei-binfmt link of this launcher (beside it in a build tree,
 * in $libexecdir/qemu-lorelei installed), or NULL with the places tried. */
char *lo_binfmt_find_interpreter(GError **error);
