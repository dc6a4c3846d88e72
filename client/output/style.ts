// Colour and symbols for people at a terminal; plain text when piped, with NO_COLOR, or TERM=dumb.
import pc from 'picocolors';
import { stripVTControlCharacters } from 'node:util';

/** Colour only on a terminal that wants it (https://no-color.org); FORCE_COLOR overrides for demos. */
export function colourEnabled(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export type Colours = ReturnType<typeof pc.createColors>;

export const colours: Colours = pc.createColors(colourEnabled());

/** Width of text as shown, colour codes not counted. */
export function visibleLength(text: string): number {
  return stripVTControlCharacters(text).length;
}

export function padVisible(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleLength(text)));
}
