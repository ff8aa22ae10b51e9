import { InvalidArgumentError } from 'commander';
import { parseTime } from './time.js';

/** Option parsers shared by the commands: commander prints the message, with the help, and exits 2. */

export const positiveInteger = (text: string): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidArgumentError('expected a whole number above 0');
  return value;
};

export const time = (text: string): Date => {
  try {
    return parseTime(text, new Date());
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};
