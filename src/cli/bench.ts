export async function bench(_args: string[]): Promise<number> {
  process.stderr.write('iobs bench: not built yet\n');
  return 1;
}
