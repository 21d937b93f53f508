/* QEMU virt board defaults, used ONLY when the DTB cannot tell us (so that a
 * broken DTB still produces a readable message and a non-zero exit). */
#ifndef BOARD_H
#define BOARD_H

#define BOARD_FALLBACK_UART 0x10000000ul   /* ns16550a */
#define BOARD_FALLBACK_FINISHER 0x100000ul /* sifive,test1 */
#define BOARD_DTB_MAX (1ul << 20)	   /* largest DTB we accept */

#endif
