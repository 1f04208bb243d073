/**
 * STM32 product IDs (ST AN2606) the host knows the flash layout of: where flash starts, how large the
 * biggest part of the line is and the erase page size. Another PID needs `pageSize`/`flashSize` options.
 */
export interface Stm32Chip {
  pid: number;
  name: string;
  flashBase: number;
  flashSize: number;
  pageSize: number;
}

const table: Stm32Chip[] = [
  { pid: 0x410, name: 'STM32F10xxx Medium-density', flashBase: 0x0800_0000, flashSize: 128 * 1024, pageSize: 1024 },
  { pid: 0x412, name: 'STM32F10xxx Low-density', flashBase: 0x0800_0000, flashSize: 32 * 1024, pageSize: 1024 },
  { pid: 0x414, name: 'STM32F10xxx High-density', flashBase: 0x0800_0000, flashSize: 512 * 1024, pageSize: 2048 },
  { pid: 0x418, name: 'STM32F105/107 Connectivity line', flashBase: 0x0800_0000, flashSize: 256 * 1024, pageSize: 2048 },
  { pid: 0x420, name: 'STM32F100 Medium-density value line', flashBase: 0x0800_0000, flashSize: 128 * 1024, pageSize: 1024 },
  { pid: 0x430, name: 'STM32F10xxx XL-density', flashBase: 0x0800_0000, flashSize: 1024 * 1024, pageSize: 2048 },
  { pid: 0x440, name: 'STM32F030x8/F05xxx', flashBase: 0x0800_0000, flashSize: 64 * 1024, pageSize: 1024 },
  { pid: 0x444, name: 'STM32F03xx4/6', flashBase: 0x0800_0000, flashSize: 32 * 1024, pageSize: 1024 },
  { pid: 0x448, name: 'STM32F070xB/F071xx/F072xx', flashBase: 0x0800_0000, flashSize: 128 * 1024, pageSize: 2048 },
  { pid: 0x415, name: 'STM32L4x6', flashBase: 0x0800_0000, flashSize: 1024 * 1024, pageSize: 2048 },
  { pid: 0x468, name: 'STM32G431xx/G441xx', flashBase: 0x0800_0000, flashSize: 128 * 1024, pageSize: 2048 },
];

export const STM32_CHIPS: ReadonlyMap<number, Stm32Chip> = new Map(table.map((c) => [c.pid, Object.freeze(c)]));
