# fish completion for qemu-lorelei. Installed by meson into fish's
# vendor_completions.d. Like the bash one, it asks the program for commands,
# options, profile ids, sysroot names and game ids (`qemu-lorelei __complete
# …`); only which option takes which kind of value is written here.

function __qemu_lorelei_candidates
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l prog $words[1]
    set -l cmd
    set -l sub
    set -l positional 0
    set -l takes_value --profile -p --sysroot -s --no-thunk --workdir -C --output -o \
        --from-archive --from-debs --from-dir --library-path --name --id --timeout \
        --max-size --argv0
    for i in (seq 2 (count $words))
        set -l w $words[$i]
        string match -q -- '-*' $w; and continue
        contains -- $words[(math $i - 1)] $takes_value; and continue
        if test -z "$cmd"
            set cmd $w
        else if test -z "$sub"; and contains -- $cmd profile sysroot binfmt
            set sub $w
        else
            set positional (math $positional + 1)
        end
    end
    set -l prev $words[-1]
    switch $prev
        case --profile -p
            $prog __complete profiles 2>/dev/null; return
        case --sysroot -s
            $prog __complete sysroots 2>/dev/null; return
        case --no-thunk
            $prog __complete thunks 2>/dev/null; return
        case --workdir -C --from-debs --from-dir --library-path
            __fish_complete_directories $cur; return
        case --output -o --from-archive
            __fish_complete_path $cur; return
        case --name --id --timeout --max-size --argv0
            return
        case --log
            if test "$cmd" = report
                __fish_complete_path $cur; return
            end
    end
    if string match -q -- '-*' $cur
        if test -z "$cmd"
            printf '%s\n' --help --version
        else
            $prog __complete options $cmd $sub 2>/dev/null
        end
        return
    end
    switch "$cmd/$sub"
        case / help/
            $prog __complete commands 2>/dev/null
        case profile/ sysroot/ binfmt/
            $prog __complete commands $cmd 2>/dev/null
        case run/
            $prog __complete games 2>/dev/null
            __fish_complete_path $cur
        case add/ profile/new profile/validate
            __fish_complete_path $cur
        case profile/index
            __fish_complete_directories $cur
        case remove/
            $prog __complete games 2>/dev/null
        case profile/show profile/edit profile/remove
            $prog __complete profiles 2>/dev/null
        case sysroot/remove
            $prog __complete sysroots 2>/dev/null
        case sysroot/import
            if test $positional -eq 0
                $prog __complete sysroots 2>/dev/null
            else
                __fish_complete_path $cur
            end
    end
end

complete -c qemu-lorelei -f -a '(__qemu_lorelei_candidates)'
