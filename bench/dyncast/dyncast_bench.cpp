// dynamic_cast in a loop, as a game's collision and event code makes it:
// objects of a few types seen through a common base, cast to the types the
// code looks for, most casts failing. Timed by itself; prints
// "seconds=S error=0x0" (bench/sidebyside.py).
//
// usage: dyncast_bench single|multiple KCASTS
//   single    classes with one base each (the ABI's __si_class_type_info)
//   multiple  classes with several bases, as SuperTux's game objects have
//             (__vmi_class_type_info): longer walks, more name comparisons
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

struct Object {
    virtual ~Object()
    {
    }
};
// single
struct Moving : Object {};
struct Player : Moving {};
struct Enemy : Moving {};
struct Snowball : Enemy {};
struct Block : Object {};
// multiple
struct Collidable {
    virtual ~Collidable()
    {
    }
};
struct Scriptable {
    virtual ~Scriptable()
    {
    }
};
struct Portable {
    virtual ~Portable()
    {
    }
};
struct MPlayer : Object, Collidable, Scriptable {};
struct MEnemy : Object, Collidable, Scriptable {};
struct MSnowball : MEnemy, Portable {};
struct MBlock : Object, Collidable {};

static double now()
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

template <class P, class E, class B>
static unsigned long run(Object **objects, int n, unsigned long casts)
{
    unsigned long found = 0;
    for (unsigned long i = 0; i < casts / 3; i++) {
        Object *o = objects[i % n];
        __asm__ volatile("" : "+r"(o)); // a cast the compiler cannot merge with the last
        found += dynamic_cast<P *>(o) != nullptr;
        found += dynamic_cast<E *>(o) != nullptr;
        found += dynamic_cast<B *>(o) != nullptr;
    }
    return found;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "single") != 0 && strcmp(argv[1], "multiple") != 0)) {
        fprintf(stderr, "usage: dyncast_bench single|multiple KCASTS\n");
        return 2;
    }
    const bool single = strcmp(argv[1], "single") == 0;
    const unsigned long casts = strtoul(argv[2], nullptr, 10) * 1000;
    Object *objects[] = {single ? static_cast<Object *>(new Player) : new MPlayer,
                         single ? static_cast<Object *>(new Enemy) : new MEnemy,
                         single ? static_cast<Object *>(new Snowball) : new MSnowball,
                         single ? static_cast<Object *>(new Block) : new MBlock,
                         single ? static_cast<Object *>(new Snowball) : new MSnowball};
    const int n = sizeof(objects) / sizeof(objects[0]);
    const double start = now();
    unsigned long found = single ? run<Player, Enemy, Block>(objects, n, casts)
                                 : run<MPlayer, MEnemy, MBlock>(objects, n, casts);
    const double seconds = now() - start;
    // Every object is exactly one of player, enemy (a snowball is one) and
    // block: one of each round's three casts finds it.
    const unsigned long rounds = casts / 3, expected = rounds;
    printf("casts=%lu found=%lu seconds=%.6f error=0x%lx\n", rounds * 3, found, seconds,
           found == expected ? 0ul : 1ul);
    return found == expected ? 0 : 1;
}
