; Multiboot v1 header (spec 0.6.96, section 3.1.1). Assembled twice: plain,
; and with -DMB_VIDEO for guests that ask the loader for a linear framebuffer
; (flags bit 2; mode_type 0 = linear graphics, 1024x768x32).
; Bit 16 (a.out kludge) stays clear: the images are ELF32 files (see
; CMakeLists.txt), so the loader takes addresses from the ELF program headers.
section .multiboot progbits alloc noexec nowrite align=4
MB_MAGIC equ 0x1BADB002
%ifdef MB_VIDEO
MB_FLAGS equ 0x00000007         ; bit 0 page-align modules, bit 1 memory info, bit 2 video
%else
MB_FLAGS equ 0x00000003
%endif
global mb_header
mb_header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
    dd 0, 0, 0, 0, 0            ; header/load/load_end/bss_end/entry addr (unused)
    dd 0                        ; mode_type: 0 = linear framebuffer
    dd 1024, 768, 32            ; width, height, depth
