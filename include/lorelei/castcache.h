/*
 * The file name of the guest's dynamic_cast cache (thunklibs/castcache),
 * shared by the library itself (which takes LD_PRELOAD naming it out of the
 * game's environment) and the launcher (which preloads it from
 * GUESTLIBS/castcache and doctor, which looks for it there).
 * thunklibs/castcache/meson.build names the built file the same.
 */
#ifndef LORELEI_CASTCACHE_H
#define LORELEI_CASTCACHE_H

#define LORELEI_CASTCACHE_LIBRARY "liblorelei-castcache.so"

#endif
