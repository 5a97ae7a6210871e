// `hoody completion bash|zsh`: word lists per position, from the command tree itself.
import type { Command } from 'commander'

function words(command: Command): string[] {
  return command.commands.map((c) => c.name())
}

export function completionScript(shell: 'bash' | 'zsh', root: Command): string {
  const daemon = root.commands.find((c) => c.name() === 'daemon')
  const groups = daemon?.commands ?? []
  const cases = groups.filter((g) => g.commands.length > 0).map((g) => `      ${g.name()}) opts="${words(g).join(' ')}" ;;`).join('\n')
  const bash = `# hoody completion (bash): eval "$(hoody completion bash)"
_hoody() {
  local cur=\${COMP_WORDS[COMP_CWORD]} opts=""
  case $COMP_CWORD in
    1) opts="${words(root).join(' ')}" ;;
    2) case \${COMP_WORDS[1]} in
         daemon) opts="${daemon === undefined ? '' : words(daemon).join(' ')}" ;;
         completion) opts="bash zsh" ;;
       esac ;;
    3) [ "\${COMP_WORDS[1]}" = daemon ] && case \${COMP_WORDS[2]} in
${cases}
       esac ;;
    *) opts="--url --token --json --help" ;;
  esac
  COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
}
complete -F _hoody hoody
`
  if (shell === 'bash') return bash
  return `#compdef hoody
# hoody completion (zsh): eval "$(hoody completion zsh)"
autoload -U +X bashcompinit && bashcompinit
${bash}`
}
