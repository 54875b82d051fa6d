// The dynamic_cast cache (thunklibs/castcache) must answer exactly as the C++
// runtime does. This program makes casts of every kind the Itanium C++ ABI's
// __dynamic_cast answers: down, cross, to an ambiguous or a non-public base,
// through virtual bases, from inside constructors and a destructor (where
// the object's dynamic type is the part being built), over more distinct
// casts than the cache has entries, in several threads at once, and across
// a dlclose. Each cast is made several times (a miss, then hits) and must
// give the same answer each time; each line prints the answer as the
// result's distance from the source pointer, so that a run with the cache
// and one without must print the same lines. The last lines say how many
// answers disagreed and what the cache counted ("cache: none" without it).
//
// usage: dyncast_check PLUGIN_LIBRARY
#include <dlfcn.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "plugin_types.h"

static int disagreements;
static const std::thread::id main_thread = std::this_thread::get_id();

// The compiler declares __dynamic_cast pure and merges repeated casts of
// one pointer into one call: hide from it that the pointer is the same.
template <class T> static T *opaque(T *p)
{
    __asm__ volatile("" : "+r"(p));
    return p;
}

// One cast, made four times; its line goes to `out`.
template <class To, class From>
static void cast(std::vector<std::string> &out, const char *label, From *p)
{
    To *first = dynamic_cast<To *>(opaque(p));
    for (int i = 0; i < 3; i++) {
        if (dynamic_cast<To *>(opaque(p)) != first) {
            __atomic_add_fetch(&disagreements, 1, __ATOMIC_RELAXED);
        }
    }
    char line[200];
    if (first == nullptr) {
        snprintf(line, sizeof(line), "%s: null", label);
    } else {
        snprintf(line, sizeof(line), "%s: %+td", label,
                 static_cast<const char *>(static_cast<const void *>(first)) -
                     static_cast<const char *>(static_cast<const void *>(p)));
    }
    out.push_back(line);
}

// Single inheritance (the ABI's __si_class_type_info).
struct A {
    virtual ~A()
    {
    }
    int a = 1;
};
struct B : A {
    int b = 2;
};
struct C : B {
    int c = 3;
};
struct Unrelated {
    virtual ~Unrelated()
    {
    }
};

// Multiple inheritance (__vmi_class_type_info).
struct M1 {
    virtual ~M1()
    {
    }
    int m1 = 1;
};
struct M2 {
    virtual ~M2()
    {
    }
    int m2 = 2;
};
struct MD : M1, M2 {
    int md = 3;
};
struct ME : MD {
    int me = 4;
};

// A diamond through a virtual base, with casts made while it is built and
// destroyed: then the dynamic type is the part under construction. Every
// thread builds them; the main thread records the answers once.
static std::vector<std::string> *recording; // set by the main thread alone
static std::vector<std::string> &record()
{
    static thread_local std::vector<std::string> unrecorded;
    unrecorded.clear();
    return recording && std::this_thread::get_id() == main_thread ? *recording : unrecorded;
}
struct V {
    virtual ~V()
    {
    }
    int v = 1;
};
struct Dia;
struct L : virtual V {
    int l = 2;
    L();
};
struct R : virtual V {
    int r = 3;
    R();
};
struct Dia : L, R {
    int d = 4;
    Dia();
    ~Dia();
};
L::L()
{
    std::vector<std::string> &construction = record();
    cast<L>(construction, "in L(): V -> L", static_cast<V *>(this));
    cast<Dia>(construction, "in L(): V -> Dia", static_cast<V *>(this));
    cast<R>(construction, "in L(): V -> R", static_cast<V *>(this));
}
R::R()
{
    std::vector<std::string> &construction = record();
    cast<R>(construction, "in R(): V -> R", static_cast<V *>(this));
    cast<L>(construction, "in R(): V -> L (built already, but not part of an R)",
            static_cast<V *>(this));
    cast<Dia>(construction, "in R(): V -> Dia", static_cast<V *>(this));
}
Dia::Dia()
{
    std::vector<std::string> &construction = record();
    cast<Dia>(construction, "in Dia(): V -> Dia", static_cast<V *>(this));
    cast<R>(construction, "in Dia(): L -> R", static_cast<L *>(this));
}
Dia::~Dia()
{
    std::vector<std::string> &construction = record();
    cast<Dia>(construction, "in ~Dia(): V -> Dia", static_cast<V *>(this));
}

// A base reached twice (ambiguous), and a private base.
struct Base {
    virtual ~Base()
    {
    }
    int base = 1;
};
struct P : Base {
    int p = 2;
};
struct Q : Base {
    int q = 3;
};
struct Amb : P, Q {
    int amb = 4;
};
struct PB {
    virtual ~PB()
    {
    }
    int pb = 1;
};
struct PX {
    virtual ~PX()
    {
    }
    int px = 2;
};
struct PrivD : private PB, public PX {
    int pd = 3;
    PB *as_pb()
    {
        return this;
    }
};

// W once as a virtual base (shared by X1 and X2) and once not (X3).
struct W {
    virtual ~W()
    {
    }
    int w = 1;
};
struct X1 : virtual W {
    int x1 = 2;
};
struct X2 : virtual W {
    int x2 = 3;
};
struct X3 : W {
    int x3 = 4;
};
struct Mix : X1, X2, X3 {
    int mix = 5;
};

// The fixed table: every line of it, made in whichever thread calls it.
static std::vector<std::string> table()
{
    std::vector<std::string> out;
    C c;
    B b;
    A a;
    A *as_a[] = {&a, &b, &c};
    const char *names[] = {"A", "B", "C"};
    for (int i = 0; i < 3; i++) {
        std::string n = names[i];
        cast<B>(out, (n + " as A -> B").c_str(), as_a[i]);
        cast<C>(out, (n + " as A -> C").c_str(), as_a[i]);
        cast<Unrelated>(out, (n + " as A -> Unrelated").c_str(), as_a[i]);
    }
    ME me;
    MD md;
    for (auto [m, n] : {std::pair<MD *, const char *>{&md, "MD"}, {&me, "ME"}}) {
        M2 *m2 = m;
        M1 *m1 = m;
        cast<M1>(out, (std::string(n) + " as M2 -> M1 (cross)").c_str(), m2);
        cast<MD>(out, (std::string(n) + " as M2 -> MD").c_str(), m2);
        cast<ME>(out, (std::string(n) + " as M2 -> ME").c_str(), m2);
        cast<M2>(out, (std::string(n) + " as M1 -> M2 (cross)").c_str(), m1);
    }
    Dia dia;
    cast<Dia>(out, "Dia as V -> Dia", static_cast<V *>(&dia));
    cast<L>(out, "Dia as V -> L", static_cast<V *>(&dia));
    cast<R>(out, "Dia as L -> R (cross)", static_cast<L *>(&dia));
    L l;
    cast<R>(out, "L as V -> R", static_cast<V *>(&l));
    cast<L>(out, "L as V -> L", static_cast<V *>(&l));
    Amb amb;
    cast<Amb>(out, "Amb as P's Base -> Amb", static_cast<Base *>(static_cast<P *>(&amb)));
    cast<Amb>(out, "Amb as Q's Base -> Amb", static_cast<Base *>(static_cast<Q *>(&amb)));
    cast<Base>(out, "Amb as P's Base -> Base", static_cast<Base *>(static_cast<P *>(&amb)));
    cast<Q>(out, "Amb as P's Base -> Q (cross)", static_cast<Base *>(static_cast<P *>(&amb)));
    PrivD pd;
    cast<PB>(out, "PrivD as PX -> PB (private base)", static_cast<PX *>(&pd));
    cast<PrivD>(out, "PrivD as its PB -> PrivD (from a private base)", pd.as_pb());
    cast<PX>(out, "PrivD as its PB -> PX", pd.as_pb());
    Mix mix;
    cast<Mix>(out, "Mix as X1 -> Mix", static_cast<X1 *>(&mix));
    cast<X3>(out, "Mix as X1 -> X3 (cross)", static_cast<X1 *>(&mix));
    cast<W>(out, "Mix as X3 -> W", static_cast<X3 *>(&mix));
    cast<X2>(out, "Mix as X3's W -> X2 (cross)", static_cast<W *>(static_cast<X3 *>(&mix)));
    cast<X1>(out, "Mix as X1's W -> X1", static_cast<W *>(static_cast<X1 *>(&mix)));
    return out;
}

// Many distinct casts: 64 types, each object cast to all 64, more than the
// cache's entries, so entries are replaced. Only the own type answers.
struct Root {
    virtual ~Root()
    {
    }
};
struct Side {
    virtual ~Side()
    {
    }
    int side = 1;
};
template <int N> struct T : Root, Side {
    int t = N;
};
template <int K, int... Ks>
static void cast_to_all(std::vector<std::string> &out, Root *r, int own,
                        std::integer_sequence<int, K, Ks...>)
{
    T<K> *got = dynamic_cast<T<K> *>(r);
    if ((got != nullptr) != (K == own)) {
        char line[80];
        snprintf(line, sizeof(line), "T<%d> as Root -> T<%d>: %s", own, K,
                 got ? "an object" : "null");
        out.push_back(line);
    }
    if constexpr (sizeof...(Ks) > 0) {
        cast_to_all(out, r, own, std::integer_sequence<int, Ks...>());
    }
}
template <int... Ns>
static void many_types(std::vector<std::string> &out, std::integer_sequence<int, Ns...> all)
{
    Root *objects[] = {new T<Ns>...};
    for (int round = 0; round < 3; round++) {
        for (int own = 0; own < static_cast<int>(sizeof...(Ns)); own++) {
            cast_to_all(out, objects[own], own, all);
            cast<Side>(out, "T<N> as Root -> Side", objects[own]);
        }
    }
    for (Root *o : objects) {
        delete o;
    }
}

typedef void counts_fn(uint64_t *, uint64_t *);

static void cache_counts(uint64_t *hits, uint64_t *misses)
{
    auto counts = reinterpret_cast<counts_fn *>(dlsym(RTLD_DEFAULT, "lorelei_castcache_counts"));
    *hits = *misses = 0;
    if (counts != nullptr) {
        counts(hits, misses);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: dyncast_check PLUGIN_LIBRARY\n");
        return 2;
    }
    std::vector<std::string> lines = table();
    recording = &lines;
    delete new Dia;
    recording = nullptr;
    std::vector<std::string> many;
    many_types(many, std::make_integer_sequence<int, 64>());
    if (many.size() != 64 * 3) {
        for (const auto &m : many) {
            if (m.rfind("T<N>", 0) != 0) {
                printf("wrong: %s\n", m.c_str());
                disagreements++;
            }
        }
    }
    lines.push_back(many.back());

    // Threads make the same table at once; each must get the main thread's.
    std::vector<std::vector<std::string>> theirs(4);
    std::vector<std::thread> threads;
    for (auto &t : theirs) {
        threads.emplace_back([&t] {
            for (int i = 0; i < 50; i++) {
                t = table();
            }
        });
    }
    for (auto &t : threads) {
        t.join();
    }
    std::vector<std::string> mine = table();
    for (const auto &t : theirs) {
        if (t != mine) {
            printf("wrong: a thread's table differs from the main thread's\n");
            disagreements++;
        }
    }

    // A library's types, unloaded and loaded again (most often at the same
    // address): after the dlclose the cache must answer from scratch, so the
    // first of the four casts in the second round is a miss again.
    for (int round = 0; round < 2; round++) {
        void *plugin = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
        if (plugin == nullptr) {
            printf("cannot load %s: %s\n", argv[1], dlerror());
            return 1;
        }
        auto make = reinterpret_cast<PluginBase *(*)()>(dlsym(plugin, "make_plugin_object"));
        PluginBase *o = make();
        uint64_t hits, misses, hits_after, misses_after;
        cache_counts(&hits, &misses);
        cast<PluginSide>(lines, "plugin object as PluginBase -> PluginSide", o);
        cache_counts(&hits_after, &misses_after);
        delete o;
        dlclose(plugin);
        if (round == 1) {
            lines.push_back(std::string("after a dlclose the cache answered from scratch: ") +
                            (hits_after == 0                                        ? "(no cache)"
                             : misses_after == misses + 1 && hits_after == hits + 3 ? "yes"
                                                                                    : "no"));
        }
    }
    for (const auto &l : lines) {
        printf("%s\n", l.c_str());
    }
    uint64_t hits, misses;
    cache_counts(&hits, &misses);
    printf("disagreements: %d\n", disagreements);
    if (dlsym(RTLD_DEFAULT, "lorelei_castcache_counts") == nullptr) {
        printf("cache: none\n");
    } else {
        printf("cache: main thread hits %llu, misses %llu\n", (unsigned long long)hits,
               (unsigned long long)misses);
    }
    return disagreements == 0 ? 0 : 1;
}
