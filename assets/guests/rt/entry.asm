; Guest runtime entry: Multiboot 32-bit protected mode -> 64-bit long mode.
;
; Multiboot state on entry (spec 3.2): EAX = 0x2BADB002, EBX = info address,
; flat 32-bit CS/DS, paging off, interrupts off, no valid stack.
; APs arrive at ap_entry32 from the real-mode trampoline (copied below 1 MiB
; by smp_start_aps), with CS = 0x18 (our 32-bit code segment).
;
; Every CPU then: loads our GDT, takes the kernel stack of its CPU index,
; enables PAE + long mode with the static identity map of the first 4 GiB
; (2 MiB pages, user-accessible so CPL3 code can touch the framebuffer) and
; calls rt_bsp_main / rt_ap_main (rt/cpu.c) in 64-bit mode.

%include "rt/defs.inc"

extern rt_kstacks, rt_bsp_main, rt_ap_main, rt_trap

section .text.boot progbits alloc exec nowrite align=16
BITS 32
global _start
_start:
    cli
    cld
    mov [mb_magic], eax
    mov [mb_info], ebx
    xor edi, edi                ; cpu index 0
    jmp common32

global ap_entry32
ap_entry32:
    mov ax, SEL_KDATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov edi, 1
    lock xadd [ap_next_index], edi  ; edi = this AP's cpu index (1, 2, ...)
    cmp edi, MAX_CPUS
    jb common32
.too_many:                      ; no stack for it: park the CPU
    cli
    hlt
    jmp .too_many

common32:
    lgdt [gdt_ptr]
    jmp SEL_KCODE32:.reload
.reload:
    mov ax, SEL_KDATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax
    lea esp, [edi + 1]
    shl esp, KSTACK_SHIFT
    add esp, rt_kstacks         ; top of this CPU's kernel stack
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, pml4
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    wrmsr
    mov eax, cr0
    or eax, CR0_PG | CR0_PE
    mov cr0, eax
    jmp SEL_KCODE:long64

BITS 64
long64:
    mov esp, esp                ; upper halves are undefined after the switch
    mov edi, edi
    xor ebp, ebp
    test edi, edi
    jnz .ap
    mov esi, [mb_info]
    mov edi, [mb_magic]
    call rt_bsp_main
    jmp .park
.ap:
    call rt_ap_main
.park:
    cli
    hlt
    jmp .park

; ---- interrupt entry --------------------------------------------------------
; One stub per vector: push a dummy error code where the CPU pushes none,
; push the vector, save the GPRs (struct trap_frame in rt.h) and call
; rt_trap(frame).
%macro ISR 1
isr_%1:
%if (%1 == 8) || (%1 >= 10 && %1 <= 14) || (%1 == 17) || (%1 == 21) || (%1 == 29) || (%1 == 30)
%else
    push 0
%endif
    push %1
    jmp isr_common
%endmacro

section .text
%assign v 0
%rep 256
ISR v
%assign v v+1
%endrep

isr_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp
    cld
    call rt_trap
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16
    iretq

; ---- ring 3 ----------------------------------------------------------------
; uint64_t rt_user_enter(fn, arg, user_stack_top, uint64_t *save_ksp,
;                        uint64_t rflags, uint64_t *tss_rsp0)
; Saves the callee-saved registers, records the kernel stack pointer (also as
; TSS.rsp0, so interrupts and int 0x80 from ring 3 land just below it) and
; iretq's to user_tramp at CPL3, which calls fn(arg) and hands the result
; back with the SYS_USER_RETURN system call; rt_user_resume then returns here.
global rt_user_enter, rt_user_resume
rt_user_enter:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rcx], rsp
    mov [r9], rsp
    push SEL_UDATA | 3          ; ss
    push rdx                    ; rsp
    push r8                     ; rflags
    push SEL_UCODE | 3          ; cs
    lea rax, [rel user_tramp]
    push rax                    ; rip
    mov rax, rdi
    mov rdi, rsi
    mov rsi, rax
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor ebp, ebp
    xor r8d, r8d
    xor r9d, r9d
    xor r10d, r10d
    xor r11d, r11d
    xor r12d, r12d
    xor r13d, r13d
    xor r14d, r14d
    xor r15d, r15d
    iretq

user_tramp:                     ; CPL3: rdi = arg, rsi = fn
    call rsi
    mov rdi, rax
    mov eax, SYS_USER_RETURN
    ud2                         ; system call (see rt.h: syscall3)
    jmp $

; void rt_user_resume(uint64_t ksp, uint64_t value)  (never returns to caller)
rt_user_resume:
    mov rsp, rdi
    mov rax, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; ---- AP trampoline (real mode; copied to TRAMPOLINE_ADDR) -------------------
section .rodata
BITS 16
global rt_tramp_start, rt_tramp_end
rt_tramp_start:
    cli
    cld
    mov ax, cs
    mov ds, ax
    o32 lgdt [tramp_gdtr - rt_tramp_start]
    mov eax, cr0
    or al, CR0_PE
    mov cr0, eax
    jmp dword SEL_KCODE32:ap_entry32
align 4
tramp_gdtr:
    dw gdt_end - gdt - 1
    dd gdt
rt_tramp_end:
BITS 64

; ---- data -----------------------------------------------------------------
section .data
global mb_magic, mb_info, ap_next_index, rt_gdt, rt_isr_table
mb_magic: dd 0
mb_info:  dd 0
ap_next_index: dd 1

align 16
gdt:
rt_gdt:
    dq 0
    dq 0x00AF9A000000FFFF       ; 0x08 kernel code, 64-bit
    dq 0x00CF92000000FFFF       ; 0x10 kernel data
    dq 0x00CF9A000000FFFF       ; 0x18 kernel code, 32-bit (boot, APs)
    dq 0x00CFF2000000FFFF       ; 0x20 user data (DPL 3)
    dq 0x00AFFA000000FFFF       ; 0x28 user code, 64-bit (DPL 3)
    times MAX_CPUS * 2 dq 0     ; 0x30 + 16*i: TSS of cpu i (filled by rt_cpu_init)
gdt_end:
align 8
    dw 0, 0, 0
gdt_ptr:                        ; 32-bit lgdt reads limit + low 4 bytes of base
    dw gdt_end - gdt - 1
    dq gdt

align 8
rt_isr_table:
%assign v 0
%rep 256
    dq isr_ %+ v
%assign v v+1
%endrep

; Identity map of 0..4 GiB with 2 MiB pages: present, writable, user, PS.
align 4096
pml4:
    dq pdpt + 7
    times 511 dq 0
pdpt:
    dq pd + 0x0000 + 7
    dq pd + 0x1000 + 7
    dq pd + 0x2000 + 7
    dq pd + 0x3000 + 7
    times 508 dq 0
pd:
%assign i 0
%rep 2048
    dq (i << 21) | 0x87
%assign i i+1
%endrep
