// The iobs command line. Subcommands live in their own files.
import { parseArgs } from 'node:util';

const USAGE = `usage: iobs <command> [options]

commands:
  bench [--json] [--quick] [--backend NAME]   time every kernel and its peers
  help                                        this text
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'bench': {
      const { bench } = await import('./bench.js');
      return bench(rest);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`iobs: unknown command ${JSON.stringify(command)}\n${USAGE}`);
      return 2;
  }
}

void parseArgs;
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`iobs: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
