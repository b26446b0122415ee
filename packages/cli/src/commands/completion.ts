import { Argument, type Command } from 'commander';
import { printLine } from '../output.js';

/** `tachyon completion bash|zsh`: a completion script made from the command tree (commands, subcommands, options). */
export function registerCompletionCommand(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script: `source <(tachyon completion bash)`, or zsh')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .action((shell: 'bash' | 'zsh') => {
      printLine(completionScript(program, shell));
    });
}

interface Node {
  path: string;
  words: string[];
}

function walk(command: Command, path: string[], out: Node[]): void {
  const subs = command.commands.map((c) => c.name());
  const options = command.options.flatMap((o) => [o.long, o.short].filter((x): x is string => x !== undefined));
  out.push({ path: path.join(' '), words: [...subs, ...options, '--help'] });
  for (const sub of command.commands) walk(sub, [...path, sub.name()], out);
}

export function completionScript(program: Command, shell: 'bash' | 'zsh'): string {
  const nodes: Node[] = [];
  walk(program, [], nodes);
  const globals = program.options.flatMap((o) => [o.long, o.short].filter((x): x is string => x !== undefined));
  const cases = nodes
    .map((n) => `    "${n.path}") words="${[...new Set([...n.words, ...globals])].join(' ')}" ;;`)
    .join('\n');
  const body = `_tachyon() {
  local cur path="" w words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for w in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$w" in -*) ;; *) if _tachyon_words "\${path:+$path }$w" >/dev/null; then path="\${path:+$path }$w"; fi ;; esac
  done
  words="$(_tachyon_words "$path")"
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  case "$cur" in -*) ;; *) [ \${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=( $(compgen -f -- "$cur") ) ;; esac
}
_tachyon_words() {
  local words
  case "$1" in
${cases}
    *) return 1 ;;
  esac
  echo "$words"
}`;
  if (shell === 'bash')
    return `# tachyon bash completion: source <(tachyon completion bash)\n${body}\ncomplete -o default -F _tachyon tachyon`;
  return `#compdef tachyon\n# tachyon zsh completion: source <(tachyon completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${body}\ncomplete -o default -F _tachyon tachyon`;
}
