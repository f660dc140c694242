; Multiboot (a.out kludge) kernel that loads an empty IDT and executes ud2:
; the #UD cannot be delivered, nor the #DF, so the CPU triple-faults.
; (int3 would be simpler, but PVM cannot emulate it: see DESIGN.md.)
bits 32
        org 0x100000
header: dd 0x1BADB002, 0x00010000, -(0x1BADB002 + 0x00010000)
        dd header, header, end, end, start
start:  lidt [idtr]
        ud2
        jmp $
idtr:   dw 0
        dd 0
end:
