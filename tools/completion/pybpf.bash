# bash completion for pybpf: commands, each command's options, output
# formats and modes, files, and for -p/--pid the PIDs of running Python
# processes.  Installed by `make install` as share/bash-completion/completions/pybpf.

# PIDs whose command looks like a Python interpreter.
_pybpf_python_pids()
{
	local dir comm
	for dir in /proc/[0-9]*; do
		read -r comm < "$dir/comm" 2>/dev/null || continue
		case $comm in
		python*|pypy*|uwsgi|gunicorn*|celery|pytest) echo "${dir#/proc/}" ;;
		esac
	done
}

_pybpf()
{
	local cur prev command options
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	COMPREPLY=()
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "record report diff top dump --help --version" -- "$cur"))
		return
	fi
	command=${COMP_WORDS[1]}
	case $prev in
	-p|--pid)
		COMPREPLY=($(compgen -W "$(_pybpf_python_pids)" -- "$cur"))
		return ;;
	-f|--format)
		COMPREPLY=($(compgen -W "speedscope flamegraph collapsed pprof heatmap raw" -- "$cur"))
		return ;;
	--mode)
		if [ "$command" = top ]; then
			COMPREPLY=($(compgen -W "cpu memory" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "cpu wall memory" -- "$cur"))
		fi
		return ;;
	--shape)
		COMPREPLY=($(compgen -W "both new" -- "$cur"))
		return ;;
	-o|--output|-i|--input|--stats|--btf)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	-d|--duration|-r|--rate|--max-processes|--refresh|-n|--rows|--tid|--comm|--cgroup|--lines|--memory-period|--otlp|--interval|--otlp-buffer|--otlp-flush)
		return ;;
	esac
	case $command in
	record)
		options="--pid --all --comm --cgroup --subprocesses --duration --rate --mode --memory-period --gil
			 --native --kernel --async --output --format --by-line --quiet --stats --stats-stages
			 --otlp --interval --otlp-buffer --otlp-flush
			 --max-processes --btf --verbose --help" ;;
	report)
		options="--input --pid --tid --lines --output --format --by-line --quiet --help" ;;
	diff)
		options="--output --shape --rows --help" ;;
	top)
		options="--pid --all --rate --refresh --mode --memory-period --async --max-processes --btf --verbose --help" ;;
	dump)
		options="--pid --all --json --async --verbose --help" ;;
	*)
		return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$options" -- "$cur"))
	elif [ "$command" = diff ]; then
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -F _pybpf pybpf
