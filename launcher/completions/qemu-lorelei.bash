# bash completion for qemu-lorelei. Installed by meson into bash-completion's
# completionsdir. Commands, options, profile ids, sysroot names and game ids
# come from the program itself (`qemu-lorelei __complete …`), so this file
# never falls behind it; only which option takes which kind of value is
# written here.

_qemu_lorelei()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local prog=${COMP_WORDS[0]} cmd="" sub="" i w positional=0
    # The command (and subcommand) typed so far, and how many plain words
    # follow it; options and the values of the options below are skipped.
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
            -*) continue ;;
        esac
        case ${COMP_WORDS[i - 1]} in
            --profile | -p | --sysroot | -s | --no-thunk | --workdir | -C | --output | -o | \
                --from-archive | --from-debs | --from-dir | --library-path | --name | --id | \
                --timeout | --max-size | --argv0)
                continue ;;
        esac
        if [[ -z $cmd ]]; then
            cmd=$w
        elif [[ -z $sub && ($cmd == profile || $cmd == sysroot || $cmd == binfmt) ]]; then
            sub=$w
        else
            positional=$((positional + 1))
        fi
    done

    local words=""
    case $prev in
        --profile | -p) words=$("$prog" __complete profiles 2>/dev/null) ;;
        --sysroot | -s) words=$("$prog" __complete sysroots 2>/dev/null) ;;
        --no-thunk) words=$("$prog" __complete thunks 2>/dev/null) ;;
        --workdir | -C | --from-debs | --from-dir | --library-path)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -d -- "$cur")
            return ;;
        --output | -o | --from-archive)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return ;;
        --name | --id | --timeout | --max-size | --argv0)
            return ;;
        --log)
            if [[ $cmd == report ]]; then
                compopt -o filenames 2>/dev/null
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                return
            fi ;;
    esac
    if [[ -n $words ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
        return
    fi

    if [[ $cur == -* ]]; then
        if [[ -z $cmd ]]; then
            words="--help --version"
        else
            words=$("$prog" __complete options $cmd $sub 2>/dev/null)
        fi
        mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
        return
    fi

    local files=0 dirs=0
    case $cmd/$sub in
        /) words=$("$prog" __complete commands 2>/dev/null) ;;
        help/) words=$("$prog" __complete commands 2>/dev/null) ;;
        profile/ | sysroot/ | binfmt/) words=$("$prog" __complete commands "$cmd" 2>/dev/null) ;;
        run/) words=$("$prog" __complete games 2>/dev/null); files=1 ;;
        add/) files=1 ;;
        remove/) words=$("$prog" __complete games 2>/dev/null) ;;
        profile/show | profile/edit | profile/remove)
            words=$("$prog" __complete profiles 2>/dev/null) ;;
        profile/new | profile/validate) files=1 ;;
        profile/index) dirs=1 ;;
        sysroot/remove) words=$("$prog" __complete sysroots 2>/dev/null) ;;
        sysroot/import)
            if ((positional == 0)); then
                words=$("$prog" __complete sysroots 2>/dev/null)
            else
                files=1
            fi ;;
    esac
    COMPREPLY=()
    if [[ -n $words ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
    fi
    if ((files || dirs)); then
        compopt -o filenames 2>/dev/null
        local f
        while IFS= read -r f; do
            COMPREPLY+=("$f")
        done < <(if ((dirs)); then compgen -d -- "$cur"; else compgen -f -- "$cur"; fi)
    fi
}

complete -F _qemu_lorelei qemu-lorelei
