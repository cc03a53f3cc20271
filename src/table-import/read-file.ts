import { readFile } from 'node:fs/promises';
import { TableFileError, decodeTable, formatOfFile, type TableFormat } from './read-table.ts';

/**
 * A table file from disk as text: its format from the name (.csv/.tsv/.txt or .json), its
 * encoding from its bytes. Anything that stops the whole file is one TableFileError naming it.
 */
export async function readTableFile(file: string): Promise<{ text: string; format: TableFormat; warnings: string[] }> {
  const format = formatOfFile(file);
  if (!format) throw new TableFileError(`${file}: use a .csv or .json file`);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TableFileError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  const { text, warnings } = decodeTable(bytes);
  return { text, format, warnings };
}
