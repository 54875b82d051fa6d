"""The real Debian games tests/games and bench/games run, and how each one is
made to play by itself.

Each entry:
  packages  the Debian packages it needs (scripts/deps-games.txt, or
            scripts/deps.txt for the default subset)
  exe       the game's x86_64 ELF (not Debian's shell wrapper: the wrapper's
            options are given as args instead)
  args      its arguments: a level, a demo, a benchmark mode
  cwd       the folder it must start in (None: the run's own)
  audio     how its sound leaves: "sdl" (SDL_AUDIODRIVER=disk, to a file),
            "openal" (openal-soft's wave writer, to a file), or None
  warmup    seconds natively before frames are counted (loading, menus)
  measure   seconds frames are counted for
  stop      "term": SIGTERM, which the game handles by quitting cleanly;
            "self": it ends by itself (a benchmark run), SIGTERM only as
            a last resort
  ok_status exit statuses that count as a clean end
  quit_keys [xdotool arguments, ...]: how the game is asked to quit instead
            of SIGTERM (e.g. its console's `quit`)
  home_files {path under HOME: text}: files the game needs before it starts
  keys      [(seconds after it starts drawing, xdotool key name), ...]: input
            sent during the warm-up (past a title screen, into a demo)
  plain_slow  how many times the native waits plain QEMU gets (default 4;
            the harness's --plain-slow overrides it)
  keys_need_colours  a scripted key also waits until the screen has this
            many colours (the screen that takes it is up), up to the end
            of the warm-up (default: no wait)
  playing   a line the game prints once it is in play (loading done): the
            warm-up counts from it, and the game must print it in time
  loading_s seconds natively it may take from its first frames to `playing`
            (stretched for plain QEMU; default 60)
  playing_log  where the game writes that line, under its HOME (None: its
            output)
  terminal  True: its output goes through a pseudo-terminal, so that it
            prints each line when written (for `playing`) rather than in
            blocks
  scene_colours  the least number of distinct colours a screenshot of play
            has (default 16): a title or intro screen has text and a
            sprite, enough to pass as "not blank", but far fewer colours
  kind      what sort of game it is (docs/games.md)
  default   True: in the default CI run (its packages are in scripts/deps.txt)
"""
import glob

SCUMMVM_QUEEN = "/usr/share/scummvm/flight-of-the-amazon-queen"


def first(pattern):
    found = sorted(glob.glob(pattern))
    return found[0] if found else pattern


GAMES = {
    "supertux": dict(
        packages=["supertux", "supertux-data"], exe="/usr/games/supertux2",
        # Tux starts on the level's first row of bonus blocks (x 384-544,
        # y 480), above the snowballs' path. From the level's own spawn
        # point a snowball walked into him every 16 s: he died, the screen
        # faded and the level was loaded again, so the measured seconds
        # held a reload (its info blocks' texts wrapped word by word through
        # HarfBuzz: 178 shapings, one burst of 150 M emulated instructions)
        # more than play.
        args=["--window", "--geometry", "800x600", "--renderer", "opengl",
              "--spawn-pos", "448,440",
              "/usr/share/games/supertux2/levels/world1/welcome_antarctica.stl"],
        # Return past the level's intro, once the intro is up (black until
        # then: under qemu-lorelei, loading slower, a Return at 3 s was
        # lost). One press only: the intro leaves through a fade-out and
        # takes keys until it is over, and a second Return in those 0.1 s
        # of game time, which plain QEMU draws as 7 frames over 14 s or
        # more, left the level too, and the game ended (status 0).
        audio="openal", warmup=12, measure=10, stop="term", keys=[(3, "Return")],
        keys_need_colours=100,
        # Plain QEMU draws the intro at 0.1-0.5 frames/s and the level at
        # 0.1, and the game moves on 1/64 s a frame: the intro's 0.1 s
        # fade-out alone took 64 s on a busy machine, and the level was
        # not up after the usual 48 s of warm-up. 144 s leaves it a few
        # frames of its fade-in (the picture is compared at the native
        # one's brightness).
        plain_slow=12,
        # The level: over 11 000 colours in an 800x600 window; its black
        # intro screen about 600.
        scene_colours=3000,
        kind="2D platformer: SDL2 + OpenGL, OpenAL, its first level, Tux out of harm's way"),
    "supertuxkart": dict(
        packages=["supertuxkart", "supertuxkart-data"], exe="/usr/games/supertuxkart",
        args=["--no-start-screen", "--race-now", "--track=lighthouse", "--numkarts=2",
              "--profile-time=40", "--screensize=800x600", "--windowed",
              # Its default pipeline compresses every kart's textures on the
              # first start (a new HOME each run) and lights per pixel: over
              # two minutes of loading on llvmpipe before the race. And
              # llvmpipe takes up to two minutes for one frame of motion
              # blur (drawn while a kart boosts), natively too; the other
              # effects cost it seconds a frame. All are off.
              "--disable-texture-compression", "--disable-hd-textures",
              "--disable-dynamic-lights", "--shadows=0", "--disable-particles",
              "--disable-motion-blur", "--disable-glow", "--disable-bloom",
              "--disable-light-shaft", "--disable-dof", "--disable-mlaa", "--disable-ssao",
              "--disable-ibl", "--anisotropic=0"],
        audio="openal", warmup=25, measure=10, stop="self",
        # Printed once the track is loaded: the loading screen draws too.
        playing="Overall scene complexity", terminal=True,
        kind="3D kart racer: SDL2 + OpenGL 3.x, OpenAL; its own profile mode (AI drives)"),
    "openarena": dict(
        packages=["openarena", "openarena-088-data"], exe="/usr/lib/ioquake3/ioquake3",
        args=["+set", "com_basegame", "baseoa", "+set", "fs_basepath", "/usr/lib/openarena",
              "+set", "com_homepath", ".openarena", "+set", "com_protocol", "71",
              "+set", "cl_motd", "0", "+set", "r_mode", "-1", "+set", "r_customwidth", "800",
              "+set", "r_customheight", "600", "+set", "r_fullscreen", "0",
              "+set", "com_introplayed", "1", "+set", "sv_pure", "0", "+set", "bot_enable", "1",
              "+devmap", "oa_dm1", "+addbot", "Angelyss", "1", "+addbot", "Liz", "1"],
        audio="openal", warmup=15, measure=10, stop="term",
        # Loading the map ends when the player enters it; a loading screen
        # looks too much like the map in a thumbnail to tell them apart. The
        # bots are added with the map, so they are loaded by then: with
        # bot_minplayers the server added one every 10 s of play, loading a
        # bot (its character, chat and AI files) took seconds under
        # emulation, and qemu-lorelei's counted seconds held a bot's loading
        # where the native ones, loaded sooner, did not.
        playing="entered the game",
        # Natively it hangs in its SIGTERM handler's shutdown; `/quit` works.
        # The slash matters: once the map is loaded, console text without
        # one is chat (con_autochat), and the game went on ("quit" said).
        quit_keys=[["key", "grave"], ["type", "/quit"], ["key", "Return"]],
        kind="3D shooter (ioquake3): SDL2 + OpenGL 1 (a renderer it dlopens), OpenAL; "
             "a map with bots"),
    "redeclipse": dict(
        packages=["redeclipse", "redeclipse-data"], exe="/usr/lib/games/redeclipse/redeclipse",
        cwd="/usr/lib/games/redeclipse",
        # A line in its log once it has loaded (-x runs a console command
        # then). Under plain QEMU loading takes minutes, and a `quit` typed
        # on the loading screen was lost.
        args=["-xecho lorelei: loaded"],
        audio="sdl", warmup=40, measure=10, stop="term",
        # Plain QEMU loaded it in 255 s (its shaders, in the guest's
        # llvmpipe), past the default 4 x 60 s.
        playing="lorelei: loaded", playing_log=".redeclipse/log.txt", loading_s=120,
        # Natively it hangs in its SIGTERM handler ("Exit signal 15"); its
        # console's quit ends it.
        quit_keys=[["key", "grave"], ["type", "quit"], ["key", "Return"]],
        kind="3D shooter (Tesseract engine): SDL2 + OpenGL 3, SDL2_mixer; its menu over a map"),
    "extremetuxracer": dict(
        packages=["extremetuxracer", "extremetuxracer-data"], exe="/usr/games/etr",
        args=[], audio="openal", warmup=10, measure=10, stop="term",
        # SFML, which leaves SIGTERM fatal: Escape on its menu quits.
        quit_keys=[["key", "Escape"]],
        kind="3D downhill racer: SFML (its own X11 window, GLX; no SDL), OpenGL 1 + GLU, "
             "OpenAL; its animated menu"),
    "blobby": dict(
        packages=["blobby", "blobby-data"], exe="/usr/games/blobby", args=[],
        audio="sdl", warmup=6, measure=10, stop="term", default=True,
        kind="2D sports: SDL2 + OpenGL, SDL audio, PhysFS; its menu"),
    "pingus": dict(
        packages=["pingus", "pingus-data"], exe="/usr/lib/games/pingus/pingus",
        args=["--datadir", "/usr/share/games/pingus/data", "--window", "--geometry", "800x600",
              "/usr/share/games/pingus/data/levels/tutorial/snow11-grumbel.pingus"],
        # Where the window goes without a window manager: the classic SDL
        # 1.2 puts it at 0,0, sdl12-compat (SDL2) in the middle; the same
        # place for both, so the screenshots compare the picture.
        env={"SDL_VIDEO_WINDOW_POS": "0,0"},
        audio="sdl", warmup=8, measure=10, stop="term", default=True,
        kind="2D puzzle (Lemmings-like): SDL 1.2 software blits (through sdl12-compat under "
             "qemu-lorelei), SDL_mixer 1.2, a level playing"),
    "minetest": dict(
        packages=["minetest", "minetest-data"], exe="/usr/games/minetest",
        args=["--go", "--name", "tester", "--world", "@HOME@/world"],
        # A fixed seed: a fresh world is otherwise a different landscape in
        # every run, and the screenshots could not be compared.
        home_files={"world/world.mt": "gameid = minetest\nbackend = sqlite3\n",
                    ".minetest/minetest.conf": "fixed_map_seed = 20261204\n"},
        audio="openal", warmup=20, measure=10, stop="term",
        kind="3D voxel sandbox (Irrlicht): GLX through its own X11 window, no SDL; OpenAL"),
    "scummvm": dict(
        packages=["scummvm", "flight-of-the-amazon-queen"], exe="/usr/games/scummvm",
        args=["--no-fullscreen", "--gfx-mode=opengl", "-p", SCUMMVM_QUEEN, "queen"],
        audio="sdl", warmup=10, measure=10, stop="term",
        kind="point-and-click adventure interpreter: SDL2 (+GL), SDL audio; "
             "Flight of the Amazon Queen's intro"),
}

MODES = ("native", "lorelei", "qemu")
# Fewer colours than this is a blank or one-colour screen, whatever the game.
MIN_COLOURS = 16


def unknown_games_problem(names):
    """Why the games named cannot be played (a message for the user), or
    None: the one check of run_game.py and bench/games, made before any
    game starts."""
    unknown = [name for name in names if name not in GAMES]
    if not unknown:
        return None
    return (f"unknown game{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(n) for n in unknown)}: the games are {', '.join(sorted(GAMES))}")


def game(name):
    g = dict(GAMES[name])
    g.setdefault("cwd", None)
    g.setdefault("ok_status", (0,))
    g.setdefault("default", False)
    # A line the game prints once it is in play (loading done): the warm-up
    # starts from it, and the game must print it. None: from the first frames.
    g.setdefault("playing", None)
    g.setdefault("playing_log", None)
    g.setdefault("loading_s", 60)
    g.setdefault("terminal", False)
    g.setdefault("scene_colours", MIN_COLOURS)
    g.setdefault("plain_slow", 4.0)
    g["id"] = name
    return g
