/* How a device raises an interrupt line without knowing about KVM: the VM
 * hands it an irq_sink (KVM_IRQ_LINE in production, a recorder in unit tests). */
#ifndef VMDECK_IRQ_H
#define VMDECK_IRQ_H

struct irq_sink {
	void (*set_level)(void *opaque, unsigned gsi, int level);
	void *opaque;
};

static inline void irq_set(const struct irq_sink *s, unsigned gsi, int level)
{
	if (s && s->set_level)
		s->set_level(s->opaque, gsi, level);
}

#endif
