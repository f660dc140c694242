; A minimal Multiboot v1 kernel written from the specification's example
; (Multiboot 0.6.96, section 3.1 and 4), independent of vmdeck's guest
; runtime: 32-bit protected mode, no paging, no interrupts. It checks the
; boot magic, prints "foreign: " and the command line on COM1, walks the
; memory map and prints the number of available regions, then writes
; the value 42 to the debug-exit port 0xF4.
; Built two ways by the test: flat binary with the a.out kludge
; (-DAOUT, -f bin) and ELF32 (-f elf32, linked at 1 MiB).
bits 32
%ifdef AOUT
        org 0x100000
MBFLAGS equ 0x00010003          ; page-align, memory info, a.out kludge
%else
MBFLAGS equ 0x00000003
        section .text
        global start
%endif
header:
        dd 0x1BADB002
        dd MBFLAGS
        dd -(0x1BADB002 + MBFLAGS)
%ifdef AOUT
        dd header               ; header_addr
        dd header               ; load_addr
        dd load_end             ; load_end_addr
        dd bss_end              ; bss_end_addr
        dd start                ; entry_addr
%endif
start:
        mov esp, stack_top
        cmp eax, 0x2BADB002
        jne bad
        mov esi, msg
        call puts
        test dword [ebx], 1 << 2        ; cmdline present?
        jz .nocmd
        mov esi, [ebx + 16]
        call puts
.nocmd:
        mov al, 10
        call putc
        test dword [ebx], 1 << 6        ; memory map present?
        jz bad
        mov esi, [ebx + 48]             ; mmap_addr
        mov ecx, [ebx + 44]             ; mmap_length
        add ecx, esi
        xor edx, edx
.mm:    cmp esi, ecx
        jae .mmdone
        cmp dword [esi + 20], 1         ; type 1 = available
        jne .next
        inc edx
.next:  add esi, [esi]
        add esi, 4
        jmp .mm
.mmdone:
        mov esi, msg2
        call puts
        mov al, dl
        add al, '0'
        call putc
        mov al, 10
        call putc
        mov al, 42
        out 0xF4, al
.halt:  cli
        hlt
        jmp .halt
bad:
        mov al, 1
        out 0xF4, al
        jmp bad

putc:   push edx
        push eax
        mov dx, 0x3FD
.wait:  in al, dx
        test al, 0x20
        jz .wait
        pop eax
        mov dx, 0x3F8
        out dx, al
        pop edx
        ret

puts:   lodsb
        test al, al
        jz .done
        call putc
        jmp puts
.done:  ret

msg:    db "foreign: ", 0
msg2:   db "foreign: available regions ", 0
%ifdef AOUT
load_end:
        align 16
stack:  times 1024 db 0
stack_top:
bss_end:
%else
        section .bss
        resb 1024
stack_top:
%endif
