"""The distillation objective: KL(teacher ‖ student), and where the gradient flows."""

from __future__ import annotations

import math

import pytest
import torch

from alsace_cli.method.losses import kl_teacher_student


def test_kl_is_teacher_to_student_mean_over_pairs() -> None:
    student = torch.log(torch.tensor([[0.5, 0.5], [0.9, 0.1]]))
    teacher = torch.log(torch.tensor([[0.8, 0.2], [0.9, 0.1]]))
    loss, _ = kl_teacher_student(student, teacher, temperature=1.0)
    expected = (0.8 * math.log(0.8 / 0.5) + 0.2 * math.log(0.2 / 0.5) + 0.0) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    reverse, _ = kl_teacher_student(teacher, student, temperature=1.0)
    assert reverse.item() != pytest.approx(expected, rel=1e-3)  # the direction matters


def test_temperature_scales_logits_and_loss() -> None:
    student, teacher = torch.tensor([[2.0, 0.0]]), torch.tensor([[0.0, 2.0]])
    loss, _ = kl_teacher_student(student, teacher, temperature=2.0)
    p_t, p_s = torch.softmax(teacher / 2, -1), torch.softmax(student / 2, -1)
    expected = 4 * (p_t * (p_t.log() - p_s.log())).sum().item()
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_detached_teacher_gets_no_gradient_mutual_does() -> None:
    teacher_logits = torch.tensor([[1.0, 0.0, -1.0]], requires_grad=True)
    student_logits = torch.tensor([[0.0, 0.5, 0.0]], requires_grad=True)
    loss, _ = kl_teacher_student(student_logits, teacher_logits.detach(), 1.0)
    loss.backward()
    assert teacher_logits.grad is None and student_logits.grad is not None
    loss, _ = kl_teacher_student(student_logits, teacher_logits, 1.0)
    loss.backward()
    assert teacher_logits.grad is not None and teacher_logits.grad.abs().sum() > 0


def test_sharpen_divides_only_the_teacher_logits() -> None:
    student, teacher = torch.tensor([[0.5, 0.0, -0.5]]), torch.tensor([[1.0, 0.0, 0.0]])
    loss, _ = kl_teacher_student(student, teacher, temperature=1.0, sharpen=0.5)
    p_t, p_s = torch.softmax(teacher / 0.5, -1), torch.softmax(student, -1)
    assert loss.item() == pytest.approx((p_t * (p_t.log() - p_s.log())).sum().item(), rel=1e-5)
    plain, _ = kl_teacher_student(student, teacher, temperature=1.0)
    assert loss.item() != pytest.approx(plain.item(), rel=1e-3)


def test_mask_averages_over_the_pairs_that_count_only() -> None:
    student = torch.log(torch.tensor([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]]))
    teacher = torch.log(torch.tensor([[0.8, 0.2], [0.9, 0.1], [0.9, 0.1]]))
    each = [kl_teacher_student(student[i : i + 1], teacher[i : i + 1], 1.0)[0].item() for i in range(3)]
    loss, _ = kl_teacher_student(student, teacher, 1.0, mask=torch.tensor([1.0, 1.0, 0.0]))
    assert loss.item() == pytest.approx((each[0] + each[1]) / 2, rel=1e-5)
    everything, _ = kl_teacher_student(student, teacher, 1.0, mask=torch.ones(3))
    assert everything.item() == pytest.approx(sum(each) / 3, rel=1e-5)
    nothing, _ = kl_teacher_student(student, teacher, 1.0, mask=torch.zeros(3))
    assert nothing.item() == 0.0
