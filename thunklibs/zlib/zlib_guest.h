/*
 * Included by the generated guest half after zlib.h (zlib.toml,
 * guest_includes). zlib.h defines gzgetc as a macro that reads the gzFile's
 * first fields (the host's buffer, readable by guest code) and calls the
 * function when they are used up; the stub defines that function, so the
 * macro must not turn its definition into an expression.
 */
#undef gzgetc
